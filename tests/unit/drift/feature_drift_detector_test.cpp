#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/feature_drift_detector.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::drift::FeatureDrift;
using anomstream::drift::FeatureDriftDetector;
using anomstream::drift::FeatureDriftDetectorConfig;
using anomstream::drift::FeatureDriftDetectorEngine;
using anomstream::drift::FeatureDriftDetectorSnapshot;

namespace {

// Standard normal by Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
double normal(Xoshiro256& rng) {
  const double u1 = 1.0 - rng.uniform01();
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

// PSI and KL(q || p) of N(shift, 1) against N(0, 1) over the ten decile bins of N(0, 1),
// from the table deciles of the standard normal.
FeatureDrift decile_divergence(double shift) {
  const double deciles[] = {-1.2815516, -0.8416212, -0.5244005, -0.2533471, 0.0,
                            0.2533471,  0.5244005,  0.8416212,  1.2815516};
  FeatureDrift out;
  double lower = -std::numeric_limits<double>::infinity();
  for (int b = 0; b < 10; ++b) {
    const double upper = b < 9 ? deciles[b] : std::numeric_limits<double>::infinity();
    const double q = normal_cdf(upper - shift) - normal_cdf(lower - shift);
    out.psi += (q - 0.1) * std::log(q / 0.1);
    out.kl += q * std::log(q / 0.1);
    lower = upper;
  }
  return out;
}

FeatureDriftDetectorConfig config_10k() {
  FeatureDriftDetectorConfig config;
  config.bins = 10;
  config.reference_size = 10000;
  config.window_size = 10000;
  return config;
}

}  // namespace

TEST_CASE("PSI stays below 0.02 when the window has the reference's distribution") {
  // Under no drift n * PSI is about chi-square(9) with n = 1 / (1/10000 + 1/10000) = 5000,
  // so PSI is about 0.0018 +- 0.0009; 0.02 is chi-square(9) = 100, never reached.
  auto detector = FeatureDriftDetector<3>::create(config_10k());
  REQUIRE(detector);
  Xoshiro256 rng(1);
  auto draw = [&rng] {
    const double u = 1.0 - rng.uniform01();
    return FeatureDriftDetector<3>::Point{normal(rng), rng.uniform01(), -std::log(u)};
  };
  for (int i = 0; i < 10000; ++i) REQUIRE(detector->observe(draw()));
  CHECK(detector->engine().reference_ready());
  for (int i = 0; i < 10000; ++i) REQUIRE(detector->observe(draw()));
  auto drift = detector->report();
  REQUIRE(drift);
  for (const FeatureDrift& f : *drift) {
    MESSAGE("stationary PSI ", f.psi, " KL ", f.kl);
    CHECK(f.psi >= 0.0);
    CHECK(f.psi < 0.02);
    CHECK(f.kl < 0.01);  // KL is about half of PSI for small differences
  }
}

TEST_CASE("a one-sigma shift gives PSI above 0.25, near the normal distribution's value") {
  // Feature 0 moves up one sigma, feature 1 down one sigma. The expected PSI and KL come
  // from the normal CDF over the decile bins; the sampling error of both histograms and of
  // the estimated deciles at 10000 samples is about 0.02, so accept 0.1.
  auto detector = FeatureDriftDetector<2>::create(config_10k());
  REQUIRE(detector);
  Xoshiro256 rng(2);
  for (int i = 0; i < 10000; ++i) REQUIRE(detector->observe({normal(rng), normal(rng)}));
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(detector->observe({1.0 + normal(rng), -1.0 + normal(rng)}));
  }
  auto drift = detector->report();
  REQUIRE(drift);
  const FeatureDrift expected = decile_divergence(1.0);
  MESSAGE("expected PSI ", expected.psi, " KL ", expected.kl, "; measured PSI ", (*drift)[0].psi,
          " / ", (*drift)[1].psi, " KL ", (*drift)[0].kl, " / ", (*drift)[1].kl);
  for (const FeatureDrift& f : *drift) {
    CHECK(f.psi > 0.25);
    CHECK(std::abs(f.psi - expected.psi) < 0.1);
    CHECK(std::abs(f.kl - expected.kl) < 0.1);
  }
}

TEST_CASE("the window slides: PSI falls back once the shifted values have left it") {
  FeatureDriftDetectorConfig config;
  config.reference_size = 5000;
  config.window_size = 2000;
  auto detector = FeatureDriftDetector<1>::create(config);
  REQUIRE(detector);
  Xoshiro256 rng(3);
  auto feed = [&](int count, double shift) {
    for (int i = 0; i < count; ++i) REQUIRE(detector->observe({shift + normal(rng)}));
    return (*detector->report())[0].psi;
  };
  for (int i = 0; i < 5000; ++i) REQUIRE(detector->observe({normal(rng)}));
  const double shifted = feed(2000, 1.0);
  const double half = feed(1000, 0.0);
  const double recovered = feed(1000, 0.0);
  MESSAGE("PSI shifted ", shifted, ", half replaced ", half, ", recovered ", recovered);
  CHECK(shifted > 0.25);
  // A half-and-half mixture sits well between the two.
  CHECK(half < 0.6 * shifted);
  CHECK(half > 0.05);
  // n * PSI ~ chi-square(9), n = 1 / (1/5000 + 1/2000) = 1429: 0.02 is chi-square 28.6,
  // the 0.1% tail.
  CHECK(recovered < 0.02);
  CHECK(detector->engine().window_count() == 2000);
}

TEST_CASE("empty bins are smoothed, so PSI and KL are finite and follow the formula") {
  // 1000 reference values over 10 decile bins (a bin holds (edge[b-1], edge[b]]) count
  // 101, 100 x 8 and 99. A window of 100 values all above the reference fills the last
  // bin only. With smoothing 0.5: p = (c + 0.5) / 1005 and q = (c' + 0.5) / 105.
  FeatureDriftDetectorConfig config;
  config.reference_size = 1000;
  config.window_size = 100;
  auto detector = FeatureDriftDetectorEngine::create(config);
  REQUIRE(detector);
  Xoshiro256 rng(4);
  for (int i = 0; i < 1000; ++i) REQUIRE(detector->observe(std::array{normal(rng)}));
  REQUIRE(detector->bins_used(0) == 10);
  for (int i = 0; i < 100; ++i) REQUIRE(detector->observe(std::array{1e6}));
  auto drift = detector->report();
  REQUIRE(drift);
  double psi = 0, kl = 0;
  for (int b = 0; b < 10; ++b) {
    const double count = b == 0 ? 101 : (b == 9 ? 99 : 100);
    const double p = (count + 0.5) / 1005.0;
    const double q = ((b == 9 ? 100.0 : 0.0) + 0.5) / 105.0;
    psi += (q - p) * std::log(q / p);
    kl += q * std::log(q / p);
  }
  CHECK(std::isfinite((*drift)[0].psi));
  CHECK(std::isfinite((*drift)[0].kl));
  CHECK((*drift)[0].psi == doctest::Approx(psi).epsilon(1e-12));
  CHECK((*drift)[0].kl == doctest::Approx(kl).epsilon(1e-12));
}

TEST_CASE("a feature constant over the reference still shows a move in either direction") {
  FeatureDriftDetectorConfig config;
  config.reference_size = 100;
  config.window_size = 100;
  for (const double value : {4.0, 5.0, 6.0}) {
    auto detector = FeatureDriftDetectorEngine::create(config);
    REQUIRE(detector);
    for (int i = 0; i < 100; ++i) REQUIRE(detector->observe(std::array{5.0}));
    // Below the reference, the reference value itself, above it.
    CHECK(detector->bins_used(0) == 3);
    for (int i = 0; i < 100; ++i) REQUIRE(detector->observe(std::array{value}));
    const double psi = (*detector->report())[0].psi;
    if (value == 5.0) {
      CHECK(psi == 0.0);  // identical smoothed histograms
    } else {
      CHECK(psi > 1.0);
    }
  }
}

TEST_CASE("report is not ready until the reference and a full window are in") {
  FeatureDriftDetectorConfig config;
  config.reference_size = 20;
  config.window_size = 10;
  auto detector = FeatureDriftDetectorEngine::create(config);
  REQUIRE(detector);
  auto early = detector->report();
  REQUIRE_FALSE(early);
  CHECK(early.error().code == ErrorCode::not_ready);
  CHECK(early.error().field == "reference");
  for (int i = 0; i < 29; ++i) REQUIRE(detector->observe(std::array{static_cast<double>(i)}));
  auto partial = detector->report();
  REQUIRE_FALSE(partial);
  CHECK(partial.error().field == "window");
  CHECK(partial.error().bound == "needs 10 observations (got 9)");
  REQUIRE(detector->observe(std::array{1.0}));
  CHECK(detector->report());
}

TEST_CASE("non-finite or wrong-length input is an error and leaves the detector unchanged") {
  FeatureDriftDetectorConfig config;
  config.dimension = 3;
  config.reference_size = 10;
  config.window_size = 10;
  auto detector = FeatureDriftDetectorEngine::create(config);
  REQUIRE(detector);
  for (const int seen : {5, 15}) {  // while collecting the reference, and after
    while (detector->observations() < static_cast<std::uint64_t>(seen)) {
      const double x = static_cast<double>(detector->observations());
      REQUIRE(detector->observe(std::array{x, -x, x * x}));
    }
    const FeatureDriftDetectorSnapshot before = detector->snapshot();
    auto nan = detector->observe(std::array{1.0, std::nan(""), 2.0});
    REQUIRE_FALSE(nan);
    CHECK(nan.error().code == ErrorCode::non_finite);
    CHECK(nan.error().field == "point[1]");
    auto inf = detector->observe(std::array{1.0, 2.0, -HUGE_VAL});
    REQUIRE_FALSE(inf);
    CHECK(inf.error().field == "point[2]");
    auto wrong = detector->observe(std::array{1.0, 2.0});
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code == ErrorCode::dimension_mismatch);
    CHECK(wrong.error().field == "point");
    CHECK(detector->snapshot() == before);
  }
}

TEST_CASE("every invalid FeatureDriftDetector config field is rejected by name") {
  struct Case {
    const char* field;
    void (*apply)(FeatureDriftDetectorConfig&);
  };
  const Case cases[] = {
      {"dimension", [](FeatureDriftDetectorConfig& c) { c.dimension = 0; }},
      {"bins", [](FeatureDriftDetectorConfig& c) { c.bins = 1; }},
      {"bins", [](FeatureDriftDetectorConfig& c) { c.bins = 1001; }},
      {"reference_size", [](FeatureDriftDetectorConfig& c) { c.reference_size = 9; }},
      {"reference_size", [](FeatureDriftDetectorConfig& c) { c.reference_size = 10'000'001; }},
      {"window_size", [](FeatureDriftDetectorConfig& c) { c.window_size = 0; }},
      {"reference_size",  // 65536 * 10000 doubles would be 5 GB
       [](FeatureDriftDetectorConfig& c) {
         c.dimension = 65536;
         c.reference_size = 10000;
       }},
      {"window_size",
       [](FeatureDriftDetectorConfig& c) {
         c.dimension = 1000;
         c.window_size = 200000;
       }},
      {"smoothing", [](FeatureDriftDetectorConfig& c) { c.smoothing = 0.0; }},
      {"smoothing", [](FeatureDriftDetectorConfig& c) { c.smoothing = std::nan(""); }},
      {"smoothing", [](FeatureDriftDetectorConfig& c) { c.smoothing = 1001.0; }},
  };
  for (const Case& c : cases) {
    FeatureDriftDetectorConfig config;
    c.apply(config);
    auto made = FeatureDriftDetectorEngine::create(config);
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::invalid_config);
    CHECK(made.error().field == c.field);
    CHECK_FALSE(made.error().bound.empty());
  }
  FeatureDriftDetectorConfig small_reference;
  small_reference.reference_size = 5;
  CHECK(FeatureDriftDetectorEngine::create(small_reference).error().message() ==
        "invalid_config: reference_size: must be in [10, 10000000] (got 5)");
}

TEST_CASE("a restored feature drift detector continues bit-for-bit like the original") {
  FeatureDriftDetectorConfig config;
  config.reference_size = 300;
  config.window_size = 200;
  // Inside the reference, with a partly filled window, and after the window wrapped.
  for (const int split : {120, 400, 777}) {
    auto original = FeatureDriftDetector<4>::create(config);
    REQUIRE(original);
    Xoshiro256 rng(8);
    auto draw = [&rng](double shift) {
      return FeatureDriftDetector<4>::Point{shift + normal(rng), rng.uniform01(),
                                           std::floor(4 * rng.uniform01()), normal(rng)};
    };
    for (int i = 0; i < split; ++i) REQUIRE(original->observe(draw(0.0)));
    const FeatureDriftDetectorSnapshot saved = original->snapshot();
    auto restored = FeatureDriftDetector<4>::restore(saved);
    REQUIRE(restored);
    CHECK(restored->snapshot() == saved);
    int compared = 0;
    for (int i = 0; i < 900; ++i) {
      const auto p = draw(i < 450 ? 0.0 : 0.7);
      REQUIRE(original->observe(p));
      REQUIRE(restored->observe(p));
      auto a = original->report();
      auto b = restored->report();
      REQUIRE(a.has_value() == b.has_value());
      if (a) {
        for (std::size_t j = 0; j < a->size(); ++j) CHECK((*a)[j] == (*b)[j]);
        ++compared;
      }
    }
    CHECK(compared > 0);
    CHECK(original->snapshot() == restored->snapshot());
  }
}

TEST_CASE("restore rejects a feature drift snapshot that breaks its invariants") {
  FeatureDriftDetectorConfig config;
  config.dimension = 2;
  config.reference_size = 20;
  config.window_size = 10;
  auto detector = FeatureDriftDetectorEngine::create(config);
  REQUIRE(detector);
  for (int i = 0; i < 10; ++i) REQUIRE(detector->observe(std::array{1.0 * i, -1.0 * i}));
  const FeatureDriftDetectorSnapshot collecting = detector->snapshot();
  for (int i = 0; i < 15; ++i) REQUIRE(detector->observe(std::array{0.5 * i, 1.0 * i}));
  const FeatureDriftDetectorSnapshot frozen = detector->snapshot();
  REQUIRE(FeatureDriftDetectorEngine::restore(collecting));
  REQUIRE(FeatureDriftDetectorEngine::restore(frozen));

  struct Case {
    const FeatureDriftDetectorSnapshot* base;
    const char* field;
    void (*corrupt)(FeatureDriftDetectorSnapshot&);
  };
  const Case cases[] = {
      {&collecting, "config.bins", [](FeatureDriftDetectorSnapshot& s) { s.config.bins = 0; }},
      {&collecting, "reference_values",
       [](FeatureDriftDetectorSnapshot& s) { s.reference_values.pop_back(); }},
      {&collecting, "reference_values",
       [](FeatureDriftDetectorSnapshot& s) { s.reference_values[3] = std::nan(""); }},
      {&collecting, "observations", [](FeatureDriftDetectorSnapshot& s) { s.observations = 99; }},
      {&frozen, "reference_values",
       [](FeatureDriftDetectorSnapshot& s) { s.reference_values = {1.0, 2.0}; }},
      {&frozen, "edges", [](FeatureDriftDetectorSnapshot& s) { s.edges.pop_back(); }},
      {&frozen, "edges[1]", [](FeatureDriftDetectorSnapshot& s) { s.edges[11] = s.edges[10]; }},
      {&frozen, "reference_counts[0]",
       [](FeatureDriftDetectorSnapshot& s) { s.reference_counts[0] += 1; }},
      {&frozen, "window[1]", [](FeatureDriftDetectorSnapshot& s) { s.window[1] = 500; }},
      {&frozen, "window", [](FeatureDriftDetectorSnapshot& s) { s.window.push_back(0); }},
      {&frozen, "observations", [](FeatureDriftDetectorSnapshot& s) { s.observations = 20; }},
  };
  for (const Case& c : cases) {
    FeatureDriftDetectorSnapshot bad = *c.base;
    c.corrupt(bad);
    auto restored = FeatureDriftDetectorEngine::restore(bad);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
    CHECK(restored.error().field == c.field);
  }
  auto wrong_size = FeatureDriftDetector<3>::restore(frozen);
  REQUIRE_FALSE(wrong_size);
  CHECK(wrong_size.error().code == ErrorCode::incompatible);
}
