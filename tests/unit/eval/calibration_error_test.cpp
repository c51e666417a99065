#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "anomstream/eval/calibration_error.hpp"

using anomstream::ErrorCode;
using anomstream::eval::expected_calibration_error;

TEST_CASE("expected calibration error is 0 when each bin's mean probability is its anomaly rate") {
  // Bin [0.2, 0.3): ten points at 0.2, two of them anomalies. Bin [0.7, 0.8): four
  // points at 0.75, three anomalies.
  std::vector<double> p(10, 0.2);
  std::vector<std::uint8_t> y = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  for (const std::uint8_t label : {1, 1, 1, 0}) {
    p.push_back(0.75);
    y.push_back(label);
  }
  auto ece = expected_calibration_error(p, y);
  REQUIRE(ece);
  CHECK(*ece == doctest::Approx(0.0).epsilon(1e-15));
}

TEST_CASE("expected calibration error of a two-bin example equals the hand computation") {
  // Bin [0, 0.1): p = 0.02, 0.04, 0.06, 0.08 (mean 0.05), labels 0, 0, 0, 1 (mean 0.25):
  // 4/6 * 0.20. Bin [0.9, 1]: p = 0.9, 1.0 (mean 0.95), labels 1, 1: 2/6 * 0.05.
  // ECE = 0.8/6 + 0.1/6 = 0.15.
  const std::vector<double> p = {0.02, 0.04, 0.06, 0.08, 0.9, 1.0};
  const std::vector<std::uint8_t> y = {0, 0, 0, 1, 1, 1};
  auto ece = expected_calibration_error(p, y);
  REQUIRE(ece);
  CHECK(*ece == doctest::Approx(0.15).epsilon(1e-12));
}

TEST_CASE("expected calibration error averages within a bin, so the bin count matters") {
  // p = 0 on an anomaly and p = 1 on a normal point: wrong by 1 point by point, but one
  // bin holding both has mean probability 0.5 and anomaly rate 0.5.
  const std::vector<double> p = {0.0, 1.0};
  const std::vector<std::uint8_t> y = {1, 0};
  auto one_bin = expected_calibration_error(p, y, 1);
  auto ten_bins = expected_calibration_error(p, y, 10);
  REQUIRE(one_bin);
  REQUIRE(ten_bins);
  CHECK(*one_bin == doctest::Approx(0.0).epsilon(1e-15));
  CHECK(*ten_bins == doctest::Approx(1.0).epsilon(1e-15));
}

TEST_CASE("expected calibration error puts probability 1 in the last bin, not an eleventh") {
  // Together in [0.9, 1]: |0.96 - 0.5| = 0.46. Apart it would be (0.08 + 1) / 2 = 0.54.
  const std::vector<double> p = {0.92, 1.0};
  const std::vector<std::uint8_t> y = {1, 0};
  auto ece = expected_calibration_error(p, y);
  REQUIRE(ece);
  CHECK(*ece == doctest::Approx(0.46).epsilon(1e-12));
}

TEST_CASE("expected calibration error of a constant probability is its distance to the anomaly rate") {
  // 7 anomalies in 40 points: rate 0.175, whichever bin the constant falls in.
  std::vector<std::uint8_t> y(40, 0);
  for (std::size_t i = 0; i < 7; ++i) y[i * 5] = 1;
  for (const double c : {0.0, 0.05, 0.175, 0.5, 1.0}) {
    CAPTURE(c);
    auto ece = expected_calibration_error(std::vector<double>(y.size(), c), y);
    REQUIRE(ece);
    CHECK(*ece == doctest::Approx(std::abs(c - 0.175)).epsilon(1e-12));
  }
}

TEST_CASE("expected calibration error refuses bad input, naming the field") {
  const std::vector<std::uint8_t> y = {0, 1, 0};
  SUBCASE("empty") {
    auto ece = expected_calibration_error(std::vector<double>{}, std::vector<std::uint8_t>{});
    REQUIRE_FALSE(ece);
    CHECK(ece.error().code == ErrorCode::invalid_input);
    CHECK(ece.error().field == "probabilities");
  }
  SUBCASE("lengths differ") {
    auto ece = expected_calibration_error(std::vector<double>{0.1, 0.2}, y);
    REQUIRE_FALSE(ece);
    CHECK(ece.error().code == ErrorCode::dimension_mismatch);
    CHECK(ece.error().field == "labels");
    CHECK(ece.error().bound.find('2') != std::string::npos);
    CHECK(ece.error().bound.find('3') != std::string::npos);
  }
  SUBCASE("a probability above 1, below 0 or NaN") {
    for (const double bad : {1.5, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
      CAPTURE(bad);
      auto ece = expected_calibration_error(std::vector<double>{0.1, bad, 0.3}, y);
      REQUIRE_FALSE(ece);
      CHECK(ece.error().code == ErrorCode::invalid_input);
      CHECK(ece.error().field == "probabilities[1]");
    }
  }
  SUBCASE("a label other than 0 or 1") {
    auto ece = expected_calibration_error(std::vector<double>{0.1, 0.2, 0.3}, std::vector<std::uint8_t>{0, 0, 2});
    REQUIRE_FALSE(ece);
    CHECK(ece.error().code == ErrorCode::invalid_input);
    CHECK(ece.error().field == "labels[2]");
  }
  SUBCASE("no bins") {
    auto ece = expected_calibration_error(std::vector<double>{0.1, 0.2, 0.3}, y, 0);
    REQUIRE_FALSE(ece);
    CHECK(ece.error().code == ErrorCode::invalid_config);
    CHECK(ece.error().field == "bins");
  }
}
