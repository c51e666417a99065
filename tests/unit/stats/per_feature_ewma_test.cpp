#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/per_feature_ewma.hpp"
#include "distributions.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::stats::Direction;
using anomstream::stats::EwmaAlert;
using anomstream::stats::PerFeatureEwma;
using anomstream::stats::PerFeatureEwmaConfig;
using anomstream::stats::PerFeatureEwmaSnapshot;
using anomstream::stats::test::standard_normal;

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NAN_VALUE = std::numeric_limits<double>::quiet_NaN();
constexpr double MAX_FINITE = std::numeric_limits<double>::max();

PerFeatureEwma<> make(std::size_t dimension, PerFeatureEwmaConfig config = {}) {
  auto ewma = PerFeatureEwma<>::create(dimension, config);
  REQUIRE(ewma);
  return std::move(*ewma);
}

std::array<double, 4> noise(Xoshiro256& rng) {
  return {standard_normal(rng), standard_normal(rng), standard_normal(rng), standard_normal(rng)};
}

}  // namespace

TEST_CASE("ewma mean and variance follow Finch's recurrence") {
  // Reference: the recurrence written out independently, over 2000 values of one feature.
  const double alpha = 0.1;
  auto ewma = make(1, {.alpha = alpha, .z_threshold = 4.0, .warmup = 1, .min_stddev = 1e-9});
  Xoshiro256 rng(1);
  double mean = 0.0;
  double variance = 0.0;
  for (int t = 0; t < 2000; ++t) {
    const double x = 10.0 + 2.0 * standard_normal(rng);
    double expected_z = 0.0;
    if (t == 0) {
      mean = x;
    } else {
      expected_z = (x - mean) / std::max(std::sqrt(variance), 1e-9);
      const double d = x - mean;
      mean += alpha * d;
      variance = (1.0 - alpha) * (variance + alpha * d * d);
    }
    REQUIRE(ewma.observe(std::array{x}));
    REQUIRE(ewma.z_scores()[0] == doctest::Approx(expected_z).epsilon(1e-12));
  }
  CHECK(ewma.mean()[0] == doctest::Approx(mean).epsilon(1e-12));
  CHECK(ewma.variance()[0] == doctest::Approx(variance).epsilon(1e-12));
  // The EWMA variance of N(10, 4) data estimates 4; its relative sd is about
  // sqrt(2 alpha / (2 - alpha)) ~ 0.32, so 4 within a factor of 2 at one fixed seed.
  CHECK(ewma.variance()[0] > 2.0);
  CHECK(ewma.variance()[0] < 8.0);
}

TEST_CASE("ewma names the feature, direction and z of an upward and a downward spike") {
  auto ewma = make(4, {.alpha = 0.05, .z_threshold = 4.0, .warmup = 40, .min_stddev = 1e-9});
  Xoshiro256 rng(2);
  for (int t = 0; t < 400; ++t) REQUIRE(ewma.observe(noise(rng)));
  auto x = noise(rng);
  x[2] = 10.0;  // ~10 sigma above a mean near 0
  auto alerts = ewma.observe(x);
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 1);
  const EwmaAlert up = (*alerts)[0];
  CHECK(up.feature_index == 2);
  CHECK(up.direction == Direction::up);
  CHECK(up.value == 10.0);
  CHECK(up.z == doctest::Approx((up.value - up.mean) / up.stddev));
  // The variance estimate is within ~35% of 1 here (relative sd ~0.23), so z is 10 / sd.
  CHECK(up.z > 6.0);
  CHECK(up.z < 16.0);

  for (int t = 0; t < 200; ++t) REQUIRE(ewma.observe(noise(rng)));  // the spike washes out
  x = noise(rng);
  x[0] = -12.0;
  alerts = ewma.observe(x);
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 1);
  CHECK((*alerts)[0].feature_index == 0);
  CHECK((*alerts)[0].direction == Direction::down);
  CHECK((*alerts)[0].z < -6.0);
  CHECK(to_string(Direction::down) == "down");
}

TEST_CASE("ewma alerts on the first step of a level shift and then absorbs it") {
  // An 8-sigma shift is over the threshold of 4 unless the stddev estimate doubled, far
  // outside its sampling range. Afterwards the mean closes the gap at rate alpha and the
  // step inflates the variance, so the alerts stop within a few steps.
  auto ewma = make(4, {.alpha = 0.05, .z_threshold = 4.0, .warmup = 40, .min_stddev = 1e-9});
  Xoshiro256 rng(3);
  std::vector<int> feature1_alert_times;
  for (int t = 0; t < 1000; ++t) {
    auto x = noise(rng);
    if (t >= 500) x[1] += 8.0;
    auto alerts = ewma.observe(x);
    REQUIRE(alerts);
    for (const auto& alert : *alerts) {
      if (alert.feature_index == 1) {
        feature1_alert_times.push_back(t);
        if (t >= 500) CHECK(alert.direction == Direction::up);
      }
    }
  }
  REQUIRE_FALSE(feature1_alert_times.empty());
  int first_after = -1;
  int late = 0;
  for (int t : feature1_alert_times) {
    if (t >= 500 && first_after < 0) first_after = t;
    if (t >= 520) ++late;
  }
  CHECK(first_after == 500);
  // False alerts at ~3e-4 per step (below) make more than one in 480 steps unlikely.
  CHECK(late <= 1);
}

TEST_CASE("ewma false-alert rate on N(0,1) noise matches a Student-t tail") {
  // With alpha = 0.05 the variance estimate has ~(2 - alpha) / alpha = 39 effective
  // degrees of freedom, so z is roughly t(39): P(|t| >= 4) ~ 2.7e-4. Over 4e5
  // feature-observations that is ~110 alerts; accept up to twice that, and require some
  // (a normal tail would give ~25).
  auto ewma = make(4, {.alpha = 0.05, .z_threshold = 4.0, .warmup = 40, .min_stddev = 1e-9});
  Xoshiro256 rng(4);
  std::size_t alerts = 0;
  bool all_ok = true;
  for (int t = 0; t < 100'000; ++t) {
    const auto result = ewma.observe(noise(rng));
    all_ok = all_ok && result.has_value();
    if (result) alerts += result->size();
  }
  REQUIRE(all_ok);
  INFO("false alerts over 4e5 feature-observations: " << alerts);
  CHECK(alerts <= 220);
  CHECK(alerts >= 25);
}

TEST_CASE("ewma stays silent during warm-up however far values jump") {
  auto ewma = make(2, {.alpha = 0.2, .z_threshold = 3.0, .warmup = 10, .min_stddev = 1e-9});
  for (int t = 0; t < 10; ++t) {
    auto alerts = ewma.observe(std::array{t % 2 == 0 ? 0.0 : 1e6, 1.0});
    REQUIRE(alerts);
    CHECK(alerts->empty());
    CHECK(ewma.warmed_up() == (t == 9));
  }
  auto alerts = ewma.observe(std::array{0.0, 1e3});  // feature 1 was constant at 1
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 1);
  CHECK((*alerts)[0].feature_index == 1);
}

TEST_CASE("a constant feature that changes gives a large finite z, never inf or NaN") {
  auto ewma = make(1, {.alpha = 0.1, .z_threshold = 4.0, .warmup = 5, .min_stddev = 1e-6});
  for (int t = 0; t < 50; ++t) REQUIRE(ewma.observe(std::array{3.0}));
  CHECK(ewma.variance()[0] == 0.0);
  auto alerts = ewma.observe(std::array{3.5});
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 1);
  CHECK((*alerts)[0].z == doctest::Approx(0.5 / 1e-6));
  CHECK((*alerts)[0].stddev == 1e-6);

  // Values whose difference overflows: z and the variance saturate, the mean stays finite.
  auto extreme = make(1, {.alpha = 0.5, .z_threshold = 4.0, .warmup = 1, .min_stddev = 1e-9});
  REQUIRE(extreme.observe(std::array{-MAX_FINITE}));
  alerts = extreme.observe(std::array{MAX_FINITE});
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 1);
  CHECK((*alerts)[0].z == MAX_FINITE);
  CHECK(std::isfinite(extreme.mean()[0]));
  CHECK(extreme.variance()[0] == MAX_FINITE);
  REQUIRE(extreme.observe(std::array{0.0}));
  CHECK(std::isfinite(extreme.z_scores()[0]));
}

TEST_CASE("ewma rejects a wrong length or non-finite value, naming it, and keeps its state") {
  auto ewma = make(3);
  REQUIRE(ewma.observe(std::array{1.0, 2.0, 3.0}));
  const auto before = ewma.snapshot();
  auto result = ewma.observe(std::array{1.0, 2.0});
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::dimension_mismatch);
  CHECK(result.error().field == "x");
  for (double bad : {NAN_VALUE, INF, -INF}) {
    result = ewma.observe(std::array{1.0, 2.0, bad});
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::non_finite);
    CHECK(result.error().field == "x[2]");
  }
  CHECK(ewma.snapshot() == before);
}

TEST_CASE("ewma configuration is validated field by field") {
  const auto expect_invalid = [](std::size_t dimension, PerFeatureEwmaConfig config,
                                 const char* field) {
    const auto result = PerFeatureEwma<>::create(dimension, config);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::invalid_config);
    CHECK(result.error().field == field);
  };
  const PerFeatureEwmaConfig good{};
  REQUIRE(PerFeatureEwma<>::create(1, good));
  expect_invalid(0, good, "dimension");
  expect_invalid(PerFeatureEwma<>::MAX_DIMENSION + 1, good, "dimension");
  for (double alpha : {0.0, -0.1, 1.0001, NAN_VALUE}) {
    auto c = good;
    c.alpha = alpha;
    expect_invalid(2, c, "alpha");
  }
  for (double z : {0.0, -1.0, INF, NAN_VALUE}) {
    auto c = good;
    c.z_threshold = z;
    expect_invalid(2, c, "z_threshold");
  }
  for (std::uint64_t w : {std::uint64_t{0}, PerFeatureEwma<>::MAX_WARMUP + 1}) {
    auto c = good;
    c.warmup = w;
    expect_invalid(2, c, "warmup");
  }
  for (double floor : {0.0, -1e-9, INF, NAN_VALUE}) {
    auto c = good;
    c.min_stddev = floor;
    expect_invalid(2, c, "min_stddev");
  }
  auto c = good;
  c.alpha = 0.0;
  CHECK(PerFeatureEwma<4>::create(c).error().field == "alpha");
  CHECK(PerFeatureEwma<>::create(2, c).error().bound == "must be in (0, 1] (got 0)");
  c.alpha = 1.0;  // the upper bound is allowed: the mean is the last value
  CHECK(PerFeatureEwma<>::create(2, c));
}

TEST_CASE("the fixed-dimension ewma gives the runtime engine's results exactly") {
  auto engine = make(4);
  auto fixed = PerFeatureEwma<4>::create().value();
  Xoshiro256 rng(6);
  for (int t = 0; t < 3000; ++t) {
    auto x = noise(rng);
    if (t % 97 == 0) x[t % 4] += 9.0;
    const auto a = engine.observe(x);
    const auto b = fixed.observe(x);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(a->size() == b->size());
    for (std::size_t i = 0; i < a->size(); ++i) REQUIRE((*a)[i] == (*b)[i]);
  }
  CHECK(fixed.snapshot() == engine.snapshot());
}

TEST_CASE("a restored ewma continues bit-for-bit like the original") {
  auto original = PerFeatureEwma<4>::create({.alpha = 0.03, .z_threshold = 3.5, .warmup = 60, .min_stddev = 1e-6}).value();
  Xoshiro256 rng(7);
  for (int t = 0; t < 500; ++t) REQUIRE(original.observe(noise(rng)));
  auto restored = PerFeatureEwma<4>::restore(original.snapshot());
  REQUIRE(restored);
  CHECK(restored->snapshot() == original.snapshot());
  std::size_t alerts_seen = 0;
  for (int t = 0; t < 2000; ++t) {
    auto x = noise(rng);
    if (t % 151 == 0) x[1] -= 7.0;
    const auto a = original.observe(x);
    const auto b = restored->observe(x);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(a->size() == b->size());
    for (std::size_t i = 0; i < a->size(); ++i) REQUIRE((*a)[i] == (*b)[i]);
    alerts_seen += a->size();
    for (std::size_t i = 0; i < 4; ++i) REQUIRE(original.z_scores()[i] == restored->z_scores()[i]);
  }
  CHECK(alerts_seen > 0);
  CHECK(restored->snapshot() == original.snapshot());
  // A copy keeps working without reallocating its alert buffer.
  PerFeatureEwma<4> copy = original;
  CHECK(copy.observe({50.0, 0.0, 0.0, 0.0}).value().size() == 1);

  const auto wrong = PerFeatureEwma<3>::restore(original.snapshot());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().field == "mean");
}

TEST_CASE("ewma restore rejects snapshots that break its invariants") {
  auto ewma = make(2);
  REQUIRE(ewma.observe(std::array{1.0, 2.0}));
  REQUIRE(ewma.observe(std::array{2.0, 4.0}));
  const PerFeatureEwmaSnapshot good = ewma.snapshot();
  REQUIRE(PerFeatureEwma<>::restore(good));
  const auto expect_corrupt = [](const PerFeatureEwmaSnapshot& snap, const char* field) {
    const auto result = PerFeatureEwma<>::restore(snap);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::corrupt_snapshot);
    CHECK(result.error().field == field);
  };
  auto s = good;
  s.config.alpha = 2.0;
  expect_corrupt(s, "config.alpha");
  s = good;
  s.config.warmup = 0;
  expect_corrupt(s, "config.warmup");
  s = good;
  s.mean.clear();
  s.variance.clear();
  expect_corrupt(s, "mean");
  s = good;
  s.variance.push_back(1.0);
  expect_corrupt(s, "variance");
  s = good;
  s.mean[1] = NAN_VALUE;
  expect_corrupt(s, "mean[1]");
  s = good;
  s.variance[0] = -1.0;
  expect_corrupt(s, "variance[0]");
  s = good;
  s.variance[0] = INF;
  expect_corrupt(s, "variance[0]");
  s = good;
  s.count = 0;
  expect_corrupt(s, "mean[0]");
}
