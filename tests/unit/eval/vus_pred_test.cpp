#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "anomstream/eval/vus_pred.hpp"
#include "reference_oracle.hpp"

using anomstream::ErrorCode;
using anomstream::eval::vus_pred;
using anomstream::eval::VusPredLabels;

namespace oracle = anomstream::eval::oracle;

namespace {

constexpr double TOLERANCE = 1e-12;

// Anomalies at 6..7 and 16; predictions around both and a stray one.
const std::vector<std::uint8_t> LABELS = {0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0,
                                          0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
const std::vector<std::uint8_t> PREDICTIONS = {0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0,
                                               1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

}  // namespace

TEST_CASE("vus_pred reproduces TSB-AD's metric_VUS_pred, label carry-over included") {
  // Values of TSB-AD's metric_VUS_pred (numpy) for LABELS / PREDICTIONS, as published
  // (labels carried over between buffers) and with the carry-over removed.
  struct Expected {
    std::size_t window;
    double recall, precision, f1;                    // as published
    double fresh_recall, fresh_precision, fresh_f1;  // labels rebuilt per buffer
  };
  const Expected expected[] = {
      {3, 0.8333333333333333, 0.3089255650988789, 0.4434604401514741, 0.8333333333333333,
       0.2936336135095228, 0.4292897336049447},
      {20, 0.9682539682539681, 0.7820280468724818, 0.8471380358961376, 0.9682539682539681,
       0.7371595673311797, 0.8198050514779053},
  };
  for (const auto& e : expected) {
    CAPTURE(e.window);
    const auto published = vus_pred(LABELS, PREDICTIONS, e.window);
    const auto fresh = vus_pred(LABELS, PREDICTIONS, e.window, VusPredLabels::fresh_per_window);
    REQUIRE(published);
    REQUIRE(fresh);
    CHECK(published->recall == doctest::Approx(e.recall).epsilon(TOLERANCE));
    CHECK(published->precision == doctest::Approx(e.precision).epsilon(TOLERANCE));
    CHECK(published->f1 == doctest::Approx(e.f1).epsilon(TOLERANCE));
    CHECK(fresh->recall == doctest::Approx(e.fresh_recall).epsilon(TOLERANCE));
    CHECK(fresh->precision == doctest::Approx(e.fresh_precision).epsilon(TOLERANCE));
    CHECK(fresh->f1 == doctest::Approx(e.fresh_f1).epsilon(TOLERANCE));
  }
}

TEST_CASE("vus_pred agrees with a literal transcription of metric_VUS_pred on random series") {
  std::mt19937_64 rng(555);
  for (int trial = 0; trial < 60; ++trial) {
    const auto series = oracle::random_series(rng, 20 + rng() % 200);
    std::vector<std::uint8_t> predictions;
    for (double s : series.scores) predictions.push_back(s > 0.55 ? 1 : 0);
    predictions[rng() % predictions.size()] = 1;
    const std::size_t window = rng() % 25;
    CAPTURE(trial);
    CAPTURE(window);
    for (bool fresh : {false, true}) {
      const auto fast = vus_pred(series.labels, predictions, window,
                                 fresh ? VusPredLabels::fresh_per_window : VusPredLabels::tsb_ad);
      REQUIRE(fast);
      const auto slow = oracle::metric_vus_pred(series.labels, predictions,
                                                static_cast<std::ptrdiff_t>(window), fresh);
      CHECK(std::abs(fast->recall - slow.recall) <= TOLERANCE);
      CHECK(std::abs(fast->precision - slow.precision) <= TOLERANCE);
      CHECK(std::abs(fast->f1 - slow.f1) <= TOLERANCE);
    }
  }
}

TEST_CASE("the carry-over changes nothing up to buffer 2 and perfect predictions score 1") {
  for (std::size_t w = 0; w <= 2; ++w) {
    const auto a = vus_pred(LABELS, PREDICTIONS, w);
    const auto b = vus_pred(LABELS, PREDICTIONS, w, VusPredLabels::fresh_per_window);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->precision_per_window == b->precision_per_window);
  }
  for (auto mode : {VusPredLabels::tsb_ad, VusPredLabels::fresh_per_window}) {
    const auto perfect = vus_pred(LABELS, LABELS, 30, mode);
    REQUIRE(perfect);
    CHECK(perfect->recall == 1.0);
    CHECK(perfect->precision == 1.0);
    CHECK(perfect->f1 == 1.0);
  }
}

TEST_CASE("vus_pred rejects what the reference crashes on or turns into NaN") {
  auto no_prediction = vus_pred(LABELS, std::vector<std::uint8_t>(LABELS.size(), 0), 4);
  REQUIRE_FALSE(no_prediction);
  CHECK(no_prediction.error().field == "predictions");
  auto no_anomaly = vus_pred(std::vector<std::uint8_t>(PREDICTIONS.size(), 0), PREDICTIONS, 4);
  REQUIRE_FALSE(no_anomaly);
  CHECK(no_anomaly.error().field == "labels");
  auto mismatch = vus_pred(LABELS, std::vector<std::uint8_t>{1}, 4);
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == ErrorCode::dimension_mismatch);
  auto bad = vus_pred(std::vector<std::uint8_t>{0, 1}, std::vector<std::uint8_t>{2, 1}, 1);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "predictions[0]");
}
