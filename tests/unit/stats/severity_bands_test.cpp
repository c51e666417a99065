#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "anomstream/stats/severity.hpp"
#include "anomstream/stats/severity_bands.hpp"

using anomstream::ErrorCode;
using anomstream::stats::Severity;
using anomstream::stats::SeverityBands;
using anomstream::stats::SeverityBandsConfig;
using anomstream::stats::SeverityBandsSnapshot;

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NAN_VALUE = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("severity bands classify scores with inclusive lower bounds") {
  const auto bands = SeverityBands::create({.low = 1.0, .medium = 2.0, .high = 3.0, .critical = 4.0}).value();
  CHECK(bands.classify(-100.0).value() == Severity::none);
  CHECK(bands.classify(std::nextafter(1.0, 0.0)).value() == Severity::none);
  CHECK(bands.classify(1.0).value() == Severity::low);
  CHECK(bands.classify(1.999).value() == Severity::low);
  CHECK(bands.classify(2.0).value() == Severity::medium);
  CHECK(bands.classify(3.0).value() == Severity::high);
  CHECK(bands.classify(std::nextafter(4.0, 0.0)).value() == Severity::high);
  CHECK(bands.classify(4.0).value() == Severity::critical);
  CHECK(bands.classify(1e300).value() == Severity::critical);
  CHECK(bands.lower_bound(Severity::none) == -INF);
  CHECK(bands.lower_bound(Severity::medium) == 2.0);
  CHECK(bands.lower_bound(Severity::critical) == 4.0);
}

TEST_CASE("the severity never decreases as the score grows and reaches every level") {
  const auto bands = SeverityBands::create().value();  // defaults for probabilities
  Severity previous = Severity::none;
  int changes = 0;
  for (int i = 0; i <= 1000; ++i) {
    const Severity s = bands.classify(i / 1000.0).value();
    CHECK(s >= previous);
    changes += s != previous ? 1 : 0;
    previous = s;
  }
  CHECK(changes == 4);  // every level is reached on [0, 1]
  CHECK(previous == Severity::critical);
}

TEST_CASE("severity bands reject non-finite or non-increasing thresholds, naming the field") {
  const SeverityBandsConfig good{};
  const auto expect_invalid = [](const SeverityBandsConfig& config, const char* field) {
    const auto result = SeverityBands::create(config);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::invalid_config);
    CHECK(result.error().field == field);
  };
  for (double bad : {NAN_VALUE, INF, -INF}) {
    auto c = good;
    c.low = bad;
    expect_invalid(c, "low");
    c = good;
    c.medium = bad;
    expect_invalid(c, "medium");
    c = good;
    c.high = bad;
    expect_invalid(c, "high");
    c = good;
    c.critical = bad;
    expect_invalid(c, "critical");
  }
  auto c = good;
  c.medium = c.low;  // equal is not strictly increasing
  expect_invalid(c, "medium");
  c = good;
  c.high = 0.1;
  expect_invalid(c, "high");
  c = good;
  c.critical = 0.95;
  expect_invalid(c, "critical");
  CHECK(SeverityBands::create(c).error().message() ==
        "invalid_config: critical: must be > high (0.95) (got 0.95)");
}

TEST_CASE("severity bands reject a non-finite score") {
  const auto bands = SeverityBands::create().value();
  for (double bad : {NAN_VALUE, INF, -INF}) {
    const auto result = bands.classify(bad);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::non_finite);
    CHECK(result.error().field == "score");
  }
}

TEST_CASE("restored severity bands classify exactly like the original") {
  const auto original = SeverityBands::create({.low = -2.0, .medium = 0.0, .high = 2.5, .critical = 7.0}).value();
  const SeverityBandsSnapshot snap = original.snapshot();
  CHECK(snap.config == original.config());
  const auto restored = SeverityBands::restore(snap);
  REQUIRE(restored);
  CHECK(restored->snapshot() == snap);
  for (double score = -5.0; score <= 10.0; score += 0.125) {
    REQUIRE(restored->classify(score).value() == original.classify(score).value());
  }
  auto bad = snap;
  bad.config.high = NAN_VALUE;
  auto result = SeverityBands::restore(bad);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::corrupt_snapshot);
  CHECK(result.error().field == "config.high");
  bad = snap;
  bad.config.critical = -3.0;
  CHECK(SeverityBands::restore(bad).error().field == "config.critical");
}
