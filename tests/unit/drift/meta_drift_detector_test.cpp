#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/meta_drift_detector.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::drift::MetaDriftDetector;
using anomstream::drift::MetaDriftDetectorConfig;
using anomstream::drift::MetaDriftDetectorSnapshot;
using anomstream::drift::RegimeChange;
using anomstream::drift::ShiftDirection;

namespace {

// Standard normal by Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
double normal(Xoshiro256& rng) {
  const double u1 = 1.0 - rng.uniform01();
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Scores of a stationary regime: level 0.3, spread 0.05 (anomaly scores are positive
// and small; only the standardised value matters to the chart).
constexpr double LEVEL = 0.3;
constexpr double SPREAD = 0.05;

}  // namespace

TEST_CASE("meta drift detector reports an upward shift of the score level in about ten steps") {
  // A long warm-up makes the baseline nearly exact (mean error sd 1/sqrt(2000) = 0.02
  // sigma), so the delay follows the known-baseline chart: ARL 10.4 at a one-sigma shift
  // with run-length sd about 5.5; over 300 streams the mean's standard error is 0.3.
  MetaDriftDetectorConfig config;
  config.warmup = 2000;
  constexpr int STREAMS = 300;
  double delay_sum = 0, onset_error_sum = 0, magnitude_sum = 0;
  int up = 0;
  for (int s = 0; s < STREAMS; ++s) {
    auto detector = MetaDriftDetector::create(config);
    REQUIRE(detector);
    Xoshiro256 rng(1000 + static_cast<std::uint64_t>(s));
    for (std::size_t i = 0; i < config.warmup; ++i) {
      auto quiet = detector->observe(LEVEL + SPREAD * normal(rng));
      // Nothing is reported while warming up (checked without an assertion per score).
      if (!quiet || quiet->has_value()) FAIL("a score during warm-up was rejected or reported");
    }
    REQUIRE(detector->baseline_ready());
    // The new regime starts at index `warmup`, one sigma higher.
    std::optional<RegimeChange> change;
    while (!change) {
      auto result = detector->observe(LEVEL + SPREAD + SPREAD * normal(rng));
      REQUIRE(result);
      change = *result;
      REQUIRE(detector->observations() < config.warmup + 200);
    }
    up += change->direction == ShiftDirection::up ? 1 : 0;
    delay_sum += static_cast<double>(change->time_index + 1 - config.warmup);
    onset_error_sum += std::abs(static_cast<double>(change->change_index) -
                                static_cast<double>(config.warmup));
    magnitude_sum += change->magnitude;
    CHECK(change->baseline_mean == doctest::Approx(LEVEL).epsilon(0.02));
    CHECK(change->baseline_sigma == doctest::Approx(SPREAD).epsilon(0.1));
    CHECK(detector->changes() == 1);
    CHECK_FALSE(detector->baseline_ready());  // re-baselining on the new regime
  }
  const double mean_delay = delay_sum / STREAMS;
  MESSAGE("mean detection delay ", mean_delay, ", mean onset error ", onset_error_sum / STREAMS,
          ", mean magnitude ", magnitude_sum / STREAMS);
  // A down alarm needs S- > 5 against a +1 sigma drift: essentially impossible.
  CHECK(up == STREAMS);
  CHECK(mean_delay >= 9.0);
  CHECK(mean_delay <= 12.0);
  // The onset estimate (alarm minus run length) is much closer to the true onset than the
  // alarm itself is: within a few observations on average.
  CHECK(onset_error_sum / STREAMS < 0.5 * mean_delay);
  CHECK(magnitude_sum / STREAMS > 0.9);
  CHECK(magnitude_sum / STREAMS < 1.6);
}

TEST_CASE("after a change the detector learns the new regime as its baseline") {
  MetaDriftDetectorConfig config;
  config.warmup = 1000;
  auto detector = MetaDriftDetector::create(config);
  REQUIRE(detector);
  Xoshiro256 rng(5);
  for (std::size_t i = 0; i < config.warmup; ++i) {
    REQUIRE(detector->observe(LEVEL + SPREAD * normal(rng)));
  }
  // A drop of two sigma.
  std::optional<RegimeChange> change;
  while (!change) change = *detector->observe(LEVEL - 2 * SPREAD + SPREAD * normal(rng));
  CHECK(change->direction == ShiftDirection::down);
  // Re-baseline on 1000 scores: the new mean's standard error is 0.05 / sqrt(1000).
  for (std::size_t i = 0; i < config.warmup; ++i) {
    auto quiet = detector->observe(LEVEL - 2 * SPREAD + SPREAD * normal(rng));
    REQUIRE(quiet);
    CHECK_FALSE(quiet->has_value());
  }
  REQUIRE(detector->baseline_ready());
  const double new_level = LEVEL - 2 * SPREAD;
  CHECK(std::abs(detector->baseline_mean() - new_level) < 5 * SPREAD / std::sqrt(1000.0));
  CHECK(std::abs(detector->baseline_sigma() - SPREAD) < 5 * SPREAD / std::sqrt(2000.0));
}

TEST_CASE("on a stationary score stream false alarms come at the in-control ARL rate") {
  // k = 0.5, h = 5: one false alarm per about 465 monitored scores with a known
  // baseline. A 4000-score warm-up leaves a mean error of sd 0.016 sigma, which lowers the
  // expected ARL only slightly (to about 460 by Siegmund's approximation). Over 800 runs
  // (sd of a run about its mean) the standard error is about 16; accept [400, 540].
  MetaDriftDetectorConfig config;
  config.warmup = 4000;
  auto detector = MetaDriftDetector::create(config);
  REQUIRE(detector);
  Xoshiro256 rng(424242);
  std::uint64_t monitoring_starts = config.warmup;
  double run_sum = 0;
  std::size_t runs = 0;
  while (runs < 800) {
    auto result = detector->observe(LEVEL + SPREAD * normal(rng));
    if (!result) FAIL(result.error().message());  // not REQUIRE: millions of iterations
    if (!result->has_value()) continue;
    const RegimeChange& change = **result;
    REQUIRE(change.time_index >= monitoring_starts);  // never during a warm-up
    run_sum += static_cast<double>(change.time_index + 1 - monitoring_starts);
    monitoring_starts = change.time_index + 1 + config.warmup;
    ++runs;
  }
  const double arl = run_sum / static_cast<double>(runs);
  MESSAGE("stationary ARL over ", runs, " runs: ", arl);
  CHECK(arl >= 400.0);
  CHECK(arl <= 540.0);
  CHECK(detector->changes() == runs);
}

TEST_CASE("a non-finite score is an error and leaves the detector unchanged") {
  auto detector = MetaDriftDetector::create({});
  REQUIRE(detector);
  REQUIRE(detector->observe(1.0));
  const MetaDriftDetectorSnapshot before = detector->snapshot();
  for (double bad : {std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    auto result = detector->observe(bad);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::non_finite);
    CHECK(result.error().field == "score");
  }
  CHECK(detector->snapshot() == before);
}

TEST_CASE("every invalid MetaDriftDetector config field is rejected by name") {
  struct Case {
    const char* field;
    void (*apply)(MetaDriftDetectorConfig&);
  };
  const Case cases[] = {
      {"slack", [](MetaDriftDetectorConfig& c) { c.slack = -1.0; }},
      {"slack", [](MetaDriftDetectorConfig& c) { c.slack = 101.0; }},
      {"threshold", [](MetaDriftDetectorConfig& c) { c.threshold = 0.0; }},
      {"threshold", [](MetaDriftDetectorConfig& c) { c.threshold = std::nan(""); }},
      {"warmup", [](MetaDriftDetectorConfig& c) { c.warmup = 0; }},
      {"min_sigma", [](MetaDriftDetectorConfig& c) { c.min_sigma = -1e-9; }},
  };
  for (const Case& c : cases) {
    MetaDriftDetectorConfig config;
    c.apply(config);
    auto made = MetaDriftDetector::create(config);
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::invalid_config);
    CHECK(made.error().field == c.field);
    CHECK_FALSE(made.error().bound.empty());
  }
}

TEST_CASE("a restored meta drift detector continues bit-for-bit like the original") {
  MetaDriftDetectorConfig config;
  config.warmup = 100;
  for (const int split : {50, 400}) {  // during the first warm-up, and while monitoring
    auto original = MetaDriftDetector::create(config);
    REQUIRE(original);
    Xoshiro256 rng(77);
    for (int i = 0; i < split; ++i) REQUIRE(original->observe(LEVEL + SPREAD * normal(rng)));
    const MetaDriftDetectorSnapshot saved = original->snapshot();
    auto restored = MetaDriftDetector::restore(saved);
    REQUIRE(restored);
    CHECK(restored->snapshot() == saved);
    // Alternate regimes so the comparison spans changes and re-baselining.
    int changes = 0;
    for (int i = 0; i < 2000; ++i) {
      const double level = (i / 300) % 2 == 0 ? LEVEL : LEVEL + 3 * SPREAD;
      const double score = level + SPREAD * normal(rng);
      auto a = original->observe(score);
      auto b = restored->observe(score);
      REQUIRE(a);
      REQUIRE(b);
      CHECK(*a == *b);
      changes += a->has_value() ? 1 : 0;
    }
    CHECK(changes >= 3);
    CHECK(original->snapshot() == restored->snapshot());
  }
}

TEST_CASE("restore rejects an inconsistent meta drift snapshot") {
  auto detector = MetaDriftDetector::create({});
  REQUIRE(detector);
  REQUIRE(detector->observe(0.5));
  const MetaDriftDetectorSnapshot good = detector->snapshot();

  MetaDriftDetectorSnapshot bad_config = good;
  bad_config.config.warmup = 1;
  CHECK(MetaDriftDetector::restore(bad_config).error().field == "config.warmup");

  MetaDriftDetectorSnapshot mismatch = good;
  mismatch.config.threshold = 6.0;
  auto m = MetaDriftDetector::restore(mismatch);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::corrupt_snapshot);
  CHECK(m.error().field == "cusum.config");

  MetaDriftDetectorSnapshot bad_chart = good;
  bad_chart.cusum.m2 = {-1.0};
  auto c = MetaDriftDetector::restore(bad_chart);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == ErrorCode::corrupt_snapshot);
  CHECK(c.error().field == "cusum.m2[0]");

  MetaDriftDetectorSnapshot bad_count = good;
  bad_count.changes = 2;
  CHECK(MetaDriftDetector::restore(bad_count).error().field == "changes");
}
