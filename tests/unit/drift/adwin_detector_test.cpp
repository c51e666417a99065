#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/adwin_detector.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::drift::AdwinConfig;
using anomstream::drift::AdwinConventions;
using anomstream::drift::AdwinDetector;
using anomstream::drift::AdwinSnapshot;

namespace {

double standard_normal(Xoshiro256& rng) {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const double u = 1.0 - rng.uniform01();
  const double v = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

double bernoulli(Xoshiro256& rng, double p) { return rng.uniform01() < p ? 1.0 : 0.0; }

AdwinDetector make(const AdwinConfig& config = {}) {
  auto d = AdwinDetector::create(config);
  REQUIRE(d.has_value());
  return std::move(*d);
}

// Points after `shift_at` until the first change (or `horizon` when none).
template <class Draw>
std::uint64_t detection_delay(std::uint64_t seed, std::uint64_t shift_at, std::uint64_t horizon,
                              Draw draw) {
  auto d = make();
  Xoshiro256 rng(seed);
  for (std::uint64_t t = 0; t < shift_at + horizon; ++t) {
    auto v = d.update(draw(rng, t >= shift_at));
    REQUIRE(v.has_value());
    if (v->change && t >= shift_at) return t - shift_at + 1;
  }
  return horizon;
}

}  // namespace

// ADWIN's guarantee (Bifet & Gavalda 2007, Theorem 3.1): on a stationary window each
// cut test shrinks the window with probability at most delta. 1e5 points with a test
// every 32 make 3125 tests, so the expected number of false changes is at most
// 0.002 * 3125 = 6.25; the bound is loose (Bernstein with a union over ln W splits) and
// MOA-style ADWIN reports none in practice.
TEST_CASE("adwin reports no false change on stationary Bernoulli(0.2) and N(0,1) streams") {
  constexpr int N = 100'000;
  constexpr std::uint64_t THEORY_BOUND = 6;  // floor(delta * N / clock)
  for (std::uint64_t seed : {11u, 12u}) {
    auto bern = make();
    auto gauss = make();
    Xoshiro256 rng(seed);
    for (int t = 0; t < N; ++t) {
      REQUIRE(bern.update(bernoulli(rng, 0.2)).has_value());
      REQUIRE(gauss.update(standard_normal(rng)).has_value());
    }
    MESSAGE("seed " << seed << ": false changes Bernoulli " << bern.detections() << ", normal "
                    << gauss.detections());
    CHECK(bern.detections() <= THEORY_BOUND);
    CHECK(gauss.detections() <= THEORY_BOUND);
    // With no cut the window is the whole stream and its mean the sample mean:
    // within 5 standard errors of the truth.
    if (bern.detections() == 0) {
      CHECK(bern.width() == static_cast<std::uint64_t>(N));
      CHECK(std::abs(bern.mean() - 0.2) < 5.0 * std::sqrt(0.16 / N));
    }
    if (gauss.detections() == 0) CHECK(std::abs(gauss.mean()) < 5.0 / std::sqrt(N));
  }
}

// Detection needs |mean(W0) - mean(W1)| = 0.5 sigma above the bound: with v ~ 1.06 sigma^2
// (the mixed window) and d = ln(2 ln W / delta) ~ 9.1 for W ~ 1e4, n1 ~ 2 v d / 0.25 + 4
// ~ 80 recent points suffice, plus up to `clock` = 32 points until the next test and
// the bucket granularity near the split; 300 points leave room for the noise.
TEST_CASE("adwin detects an abrupt half-sigma mean shift within a few hundred points") {
  constexpr std::uint64_t SHIFT_AT = 10'000;
  constexpr std::uint64_t HORIZON = 2'000;
  std::uint64_t worst_normal = 0;
  std::uint64_t worst_bernoulli = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    worst_normal = std::max(worst_normal,
                            detection_delay(seed, SHIFT_AT, HORIZON, [](Xoshiro256& rng, bool after) {
                              return standard_normal(rng) + (after ? 0.5 : 0.0);
                            }));
    // Bernoulli(0.2) has sigma 0.4: half a sigma moves p to 0.4.
    worst_bernoulli = std::max(
        worst_bernoulli, detection_delay(seed + 100, SHIFT_AT, HORIZON, [](Xoshiro256& rng, bool after) {
          return bernoulli(rng, after ? 0.4 : 0.2);
        }));
  }
  MESSAGE("worst detection delay over 5 seeds: normal " << worst_normal << ", Bernoulli "
                                                        << worst_bernoulli);
  CHECK(worst_normal <= 300);
  CHECK(worst_bernoulli <= 300);
}

TEST_CASE("adwin shrinks its window to the new regime after a change") {
  auto d = make();
  Xoshiro256 rng(7);
  for (int t = 0; t < 10'000; ++t) REQUIRE(d.update(standard_normal(rng)).has_value());
  for (int t = 0; t < 3'000; ++t) REQUIRE(d.update(1.0 + standard_normal(rng)).has_value());
  CHECK(d.detections() >= 1);
  // The window dropped (almost) all of the old regime; its mean is the new one within
  // 5 standard errors plus the bias of at most one leftover old bucket.
  CHECK(d.width() < 3'000 + 10'000 / 2);
  CHECK(std::abs(d.mean() - 1.0) < 5.0 / std::sqrt(static_cast<double>(d.width())) + 0.1);
}

TEST_CASE("adwin tests for cuts only every clock points") {
  AdwinConfig config;
  config.clock = 16;
  auto d = make(config);
  Xoshiro256 rng(3);
  int changes = 0;
  for (int t = 1; t <= 6'000; ++t) {
    auto v = d.update(standard_normal(rng) + (t > 3'000 ? 2.0 : 0.0));
    REQUIRE(v.has_value());
    if (v->change) {
      ++changes;
      CHECK(t % 16 == 0);
    }
  }
  CHECK(changes >= 1);
}

// Rows below the last hold at least M - 1 buckets each and the last at least one, so a
// window of W points spans R <= 1 + log2((W + M - 1) / M) rows and at most M R buckets.
TEST_CASE("adwin memory stays logarithmic in the window width") {
  auto d = make();
  const std::size_t bytes_before = d.memory_bytes();
  Xoshiro256 rng(5);
  for (int t = 0; t < 100'000; ++t) REQUIRE(d.update(rng.uniform01()).has_value());
  const double w = static_cast<double>(d.width());
  const double m = d.config().max_buckets;
  const auto row_bound = static_cast<std::uint32_t>(1.0 + std::floor(std::log2((w + m - 1.0) / m)));
  MESSAGE("width " << d.width() << ", rows " << d.rows_used() << ", buckets " << d.bucket_count()
                   << ", bytes " << d.memory_bytes());
  CHECK(d.width() > 50'000);
  CHECK(d.rows_used() <= row_bound);
  CHECK(d.bucket_count() <= d.config().max_buckets * d.rows_used());
  CHECK(d.memory_bytes() == bytes_before);
  const std::size_t m_plus_1 = d.config().max_buckets + 1;
  const std::size_t rows = d.config().max_rows;
  CHECK(bytes_before == sizeof(AdwinDetector) + 16 * m_plus_1 * rows + 4 * rows);
}

TEST_CASE("adwin caps the window at M (2^R - 1) points without reporting a change") {
  AdwinConfig config;
  config.max_buckets = 2;
  config.max_rows = 3;
  auto d = make(config);
  for (int t = 0; t < 1'000; ++t) {
    auto v = d.update(3.0);
    REQUIRE(v.has_value());
    CHECK_FALSE(v->change);
    CHECK(v->width <= 2u * 7u);
    CHECK(v->mean == 3.0);
  }
  CHECK(d.width() >= 7u);
}

TEST_CASE("adwin window mean and variance equal the direct computation") {
  auto d = make();
  Xoshiro256 rng(9);
  std::vector<double> xs;
  for (int t = 0; t < 2'000; ++t) {
    xs.push_back(5.0 + 2.0 * standard_normal(rng));
    REQUIRE(d.update(xs.back()).has_value());
  }
  REQUIRE(d.detections() == 0);
  double mean = 0.0;
  for (double x : xs) mean += x;
  mean /= static_cast<double>(xs.size());
  double ss = 0.0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  // The bucket merge formulas are exact in real arithmetic; only rounding differs.
  CHECK(d.mean() == doctest::Approx(mean).epsilon(1e-12));
  CHECK(d.variance() == doctest::Approx(ss / static_cast<double>(xs.size())).epsilon(1e-9));
}

TEST_CASE("adwin rejects non-finite input and leaves its state unchanged") {
  auto d = make();
  for (int t = 0; t < 100; ++t) REQUIRE(d.update(t % 2).has_value());
  const AdwinSnapshot before = d.snapshot();
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    auto v = d.update(bad);
    REQUIRE_FALSE(v.has_value());
    CHECK(v.error().code == ErrorCode::non_finite);
    CHECK(v.error().field == "value");
  }
  CHECK(d.snapshot() == before);
}

TEST_CASE("adwin create names the invalid config field") {
  auto check_field = [](AdwinConfig c, const char* field) {
    auto d = AdwinDetector::create(c);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().code == ErrorCode::invalid_config);
    CHECK(d.error().field == field);
  };
  AdwinConfig c;
  c.delta = 0.0;
  check_field(c, "delta");
  c.delta = 0.9;
  check_field(c, "delta");
  c.delta = std::numeric_limits<double>::quiet_NaN();
  check_field(c, "delta");
  c = {};
  c.max_buckets = 1;
  check_field(c, "max_buckets");
  c.max_buckets = 65;
  check_field(c, "max_buckets");
  c = {};
  c.max_rows = 1;
  check_field(c, "max_rows");
  c.max_rows = 49;
  check_field(c, "max_rows");
  c = {};
  c.clock = 0;
  check_field(c, "clock");
  c.clock = 65537;
  check_field(c, "clock");
  c = {};
  c.min_window_length = 0;
  check_field(c, "min_window_length");
  c.min_window_length = 1'000'001;
  check_field(c, "min_window_length");
  c = {};
  c.grace_period = 1'000'000'001;
  check_field(c, "grace_period");
  c = {};
  c.conventions = static_cast<anomstream::drift::AdwinConventions>(7);
  check_field(c, "conventions");
}

// No cut test may run until the window holds more than grace_period points: a 10-sigma
// jump at t = 50 with clock 1 is found at the first test after the grace period, not
// before, under both conventions.
TEST_CASE("adwin runs no cut test before the grace period has passed") {
  for (const auto conventions : {AdwinConventions::moa, AdwinConventions::river}) {
    AdwinConfig c;
    c.clock = 1;
    c.grace_period = 200;
    c.conventions = conventions;
    auto d = make(c);
    std::uint64_t first_change = 0;
    for (std::uint64_t t = 1; t <= 400 && first_change == 0; ++t) {
      auto v = d.update(t > 50 ? 10.0 : 0.0);
      REQUIRE(v.has_value());
      if (v->change) first_change = t;
    }
    CAPTURE(static_cast<int>(conventions));
    CHECK(first_change == 201);
  }
}

// A shorter minimum sub-window lets a cut come sooner after a step: with clock 1 a
// 10-sigma jump is cut no later with min_window_length 1 than with 20, and the longer
// minimum waits until the new regime has at least its length (river: >= L points).
TEST_CASE("adwin's minimum sub-window length delays the cut until the recent part is that long") {
  const auto first_change = [](std::uint32_t min_window_length) {
    AdwinConfig c;
    c.clock = 1;
    c.grace_period = 0;
    c.min_window_length = min_window_length;
    c.conventions = AdwinConventions::river;
    auto d = make(c);
    Xoshiro256 rng(8);
    for (std::uint64_t t = 1; t <= 2'000; ++t) {
      auto v = d.update(0.1 * standard_normal(rng) + (t > 1'000 ? 1.0 : 0.0));
      REQUIRE(v.has_value());
      if (v->change) return t;
    }
    return std::uint64_t{0};
  };
  const std::uint64_t short_window = first_change(1);
  const std::uint64_t long_window = first_change(20);
  CHECK(short_window > 1'000);
  CHECK(long_window >= 1'000 + 20);
  CHECK(short_window <= long_window);
}

TEST_CASE("restored adwin continues bit-for-bit like the original, under both conventions") {
  for (const auto conventions : {AdwinConventions::moa, AdwinConventions::river}) {
    CAPTURE(static_cast<int>(conventions));
    AdwinConfig config;
    config.conventions = conventions;
    config.min_window_length = 3;
    config.grace_period = 40;
    auto original = make(config);
    Xoshiro256 rng(21);
    for (int t = 0; t < 5'000; ++t) REQUIRE(original.update(standard_normal(rng)).has_value());
    const AdwinSnapshot snap = original.snapshot();
    auto restored = AdwinDetector::restore(snap);
    REQUIRE(restored.has_value());
    CHECK(restored->snapshot() == snap);
    int changes = 0;
    for (int t = 0; t < 5'000; ++t) {
      const double x = standard_normal(rng) + (t >= 2'000 ? 1.0 : 0.0);
      auto a = original.update(x);
      auto b = restored->update(x);
      REQUIRE(a.has_value());
      REQUIRE(b.has_value());
      CHECK(*a == *b);
      changes += a->change ? 1 : 0;
    }
    CHECK(changes >= 1);  // the comparison covered cuts too
    CHECK(original.snapshot() == restored->snapshot());
    CHECK(restored->config() == config);
  }
}

TEST_CASE("adwin restore rejects snapshots that break the bucket invariants") {
  auto d = make();
  Xoshiro256 rng(4);
  for (int t = 0; t < 1'000; ++t) REQUIRE(d.update(rng.uniform01()).has_value());
  const AdwinSnapshot good = d.snapshot();
  REQUIRE(AdwinDetector::restore(good).has_value());
  auto expect_corrupt = [](const AdwinSnapshot& s, const char* field) {
    auto r = AdwinDetector::restore(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::corrupt_snapshot);
    CHECK(r.error().field.find(field) != std::string::npos);
  };
  AdwinSnapshot s = good;
  s.config.delta = 2.0;
  expect_corrupt(s, "config.delta");
  s = good;
  s.row_counts[0] = good.config.max_buckets + 1;
  expect_corrupt(s, "row_counts[0]");
  s = good;
  s.width += 1;
  expect_corrupt(s, "width");
  s = good;
  s.bucket_variances[0] = -1.0;
  expect_corrupt(s, "bucket_variances");
  s = good;
  s.bucket_totals.pop_back();
  expect_corrupt(s, "bucket_totals");
  s = good;
  s.total = std::numeric_limits<double>::quiet_NaN();
  expect_corrupt(s, "total");
  s = good;
  s.row_counts.push_back(0);
  expect_corrupt(s, "row_counts");
  s = good;
  s.row_counts.assign(good.config.max_rows + 1, 1);
  expect_corrupt(s, "row_counts");
  s = good;
  s.time = s.width - 1;
  expect_corrupt(s, "time");
  s = good;
  s.config.min_window_length = 0;
  expect_corrupt(s, "config.min_window_length");
  s = good;
  s.config.conventions = static_cast<AdwinConventions>(9);
  expect_corrupt(s, "config.conventions");
}
