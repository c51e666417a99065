#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/online_stats.hpp"
#include "distributions.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::stats::OnlineStats;
using anomstream::stats::OnlineStatsSnapshot;

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NAN_VALUE = std::numeric_limits<double>::quiet_NaN();

// Calls `sink(x)` for `n` values 1e9 + N(0,1), the same sequence for the same seed
// (Box-Muller, both outputs of each pair).
template <class Sink>
void offset_normals(std::uint64_t seed, int n, Sink&& sink) {
  Xoshiro256 rng(seed);
  for (int i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log1p(-rng.uniform01()));
    const double angle = 2.0 * std::numbers::pi * rng.uniform01();
    sink(1e9 + r * std::cos(angle));
    sink(1e9 + r * std::sin(angle));
  }
}

}  // namespace

TEST_CASE("online stats gives the textbook mean, variances, min and max") {
  // {2,4,4,4,5,5,7,9}: mean 5, population variance 4, sample variance 32/7.
  OnlineStats stats;
  for (double x : {2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}) REQUIRE(stats.update(x));
  CHECK(stats.count() == 8);
  CHECK(stats.mean() == doctest::Approx(5.0).epsilon(1e-15));
  CHECK(stats.variance() == doctest::Approx(4.0).epsilon(1e-15));
  CHECK(stats.sample_variance() == doctest::Approx(32.0 / 7.0).epsilon(1e-15));
  CHECK(stats.stddev() == doctest::Approx(2.0).epsilon(1e-15));
  CHECK(stats.min() == 2.0);
  CHECK(stats.max() == 9.0);
}

TEST_CASE("an empty or single-value accumulator reports the documented conventions") {
  OnlineStats stats;
  CHECK(stats.count() == 0);
  CHECK(stats.mean() == 0.0);
  CHECK(stats.variance() == 0.0);
  CHECK(stats.sample_variance() == 0.0);
  CHECK(stats.min() == INF);
  CHECK(stats.max() == -INF);
  REQUIRE(stats.update(-3.5));
  CHECK(stats.mean() == -3.5);
  CHECK(stats.variance() == 0.0);
  CHECK(stats.sample_variance() == 0.0);
  CHECK(stats.min() == -3.5);
  CHECK(stats.max() == -3.5);
  stats.reset();
  CHECK(stats.snapshot() == OnlineStatsSnapshot{});
}

TEST_CASE("variance of 1e7 values of 1e9 + N(0,1) is within 1e-6 relative of the two-pass answer") {
  constexpr int N = 10'000'000;
  OnlineStats stats;
  bool all_ok = true;
  offset_normals(2024, N, [&](double x) { all_ok = stats.update(x).has_value() && all_ok; });
  REQUIRE(all_ok);
  REQUIRE(stats.count() == static_cast<std::uint64_t>(N));

  // Reference: compensated (Neumaier) sum for the mean, then the corrected two-pass
  // formula (sum d^2 - (sum d)^2 / n) / n, which cancels the residual error of the mean.
  double sum = 0.0;
  double compensation = 0.0;
  offset_normals(2024, N, [&](double x) {
    const double t = sum + x;
    compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  });
  const double mean = (sum + compensation) / N;
  double sum_sq = 0.0;
  double sum_d = 0.0;
  offset_normals(2024, N, [&](double x) {
    const double d = x - mean;
    sum_sq += d * d;
    sum_d += d;
  });
  const double two_pass = (sum_sq - sum_d * sum_d / N) / N;

  const double relative = std::abs(stats.variance() - two_pass) / two_pass;
  INFO("Welford variance relative error vs two-pass: " << relative);
  CHECK(relative <= 1e-6);
  // Each mean update rounds at ulp(1e9) ~ 1.2e-7; those errors random-walk and are
  // pulled back by the next deltas, so the mean stays far inside 1e-12 relative.
  CHECK(std::abs(stats.mean() - mean) <= 1e-12 * mean);
  // Sanity: the sample is N(0,1) around 1e9; the variance estimate's standard error is
  // sqrt(2/n) ~ 4.5e-4, so 5e-3 is ~11 standard errors.
  CHECK(std::abs(two_pass - 1.0) < 5e-3);
}

TEST_CASE("merge of two halves equals one pass over the whole stream (Chan et al.)") {
  Xoshiro256 rng(11);
  OnlineStats whole;
  OnlineStats left;
  OnlineStats right;
  for (int i = 0; i < 10'000; ++i) {
    const double x = 50.0 + 3.0 * anomstream::stats::test::standard_normal(rng);
    REQUIRE(whole.update(x));
    REQUIRE((i < 3'000 ? left : right).update(x));
  }
  OnlineStats merged = left;
  merged.merge(right);
  CHECK(merged.count() == whole.count());
  // Both are exact up to rounding: a few ulps per operation over 1e4 values.
  CHECK(merged.mean() == doctest::Approx(whole.mean()).epsilon(1e-13));
  CHECK(merged.variance() == doctest::Approx(whole.variance()).epsilon(1e-12));
  CHECK(merged.min() == whole.min());
  CHECK(merged.max() == whole.max());

  OnlineStats empty;
  OnlineStats copy = whole;
  copy.merge(empty);
  CHECK(copy.snapshot() == whole.snapshot());
  empty.merge(whole);
  CHECK(empty.snapshot() == whole.snapshot());
}

TEST_CASE("a constant stream has its exact mean and variance 0, one by one and in batches") {
  for (const double c : {0.1, 3.7, 1e9 + 0.3, -2.5e-300, 7.0}) {
    OnlineStats single;
    OnlineStats batch;
    const std::vector<double> values(100'000, c);
    for (const double x : values) REQUIRE(single.update(x));
    REQUIRE(batch.update(std::span<const double>(values)));
    CHECK(single.mean() == c);
    CHECK(single.variance() == 0.0);
    CHECK(batch.snapshot() == single.snapshot());
  }
}

TEST_CASE("merge pools accumulators that started from very different first values") {
  // Each accumulator centres on its own first value; the merge must re-centre exactly
  // enough that the pooled moments match one pass.
  OnlineStats whole;
  OnlineStats low;
  OnlineStats high;
  for (int i = 0; i < 2'000; ++i) {
    const double x = i < 1'000 ? -1e6 + i : 1e6 + i;
    REQUIRE(whole.update(x));
    REQUIRE((i < 1'000 ? low : high).update(x));
  }
  high.merge(low);
  CHECK(high.count() == whole.count());
  // Rounding is relative to the values (1e6), not to the pooled mean (~1e3).
  CHECK(high.mean() == doctest::Approx(whole.mean()).epsilon(1e-12).scale(1e6));
  CHECK(high.variance() == doctest::Approx(whole.variance()).epsilon(1e-12));
  CHECK(high.min() == whole.min());
  CHECK(high.max() == whole.max());
}

TEST_CASE("online stats rejects NaN and infinities and leaves its state unchanged") {
  OnlineStats stats;
  REQUIRE(stats.update(1.0));
  REQUIRE(stats.update(2.0));
  const auto before = stats.snapshot();
  for (double bad : {NAN_VALUE, INF, -INF}) {
    const auto status = stats.update(bad);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::non_finite);
    CHECK(status.error().field == "value");
    CHECK(stats.snapshot() == before);
  }
}

TEST_CASE("a batch update equals one-by-one updates and is rejected whole on a non-finite value") {
  Xoshiro256 rng(21);
  std::vector<double> values(777);
  for (auto& v : values) v = rng.uniform01() * 10.0 - 5.0;
  OnlineStats one_by_one;
  for (double v : values) REQUIRE(one_by_one.update(v));
  OnlineStats batched;
  REQUIRE(batched.update(std::span<const double>(values).first(300)));
  REQUIRE(batched.update(std::span<const double>(values).subspan(300)));
  CHECK(batched.snapshot() == one_by_one.snapshot());

  const auto before = batched.snapshot();
  values[5] = NAN_VALUE;
  const auto status = batched.update(values);
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::non_finite);
  CHECK(status.error().field == "values[5]");
  CHECK(batched.snapshot() == before);
}

TEST_CASE("a restored online stats continues bit-for-bit like the original") {
  Xoshiro256 rng(5);
  OnlineStats original;
  for (int i = 0; i < 1000; ++i) REQUIRE(original.update(rng.uniform01() * 100.0 - 20.0));
  const auto snap = original.snapshot();
  auto restored = OnlineStats::restore(snap);
  REQUIRE(restored);
  CHECK(restored->snapshot() == snap);
  for (int i = 0; i < 1000; ++i) {
    const double x = rng.uniform01() * 1e6;
    REQUIRE(original.update(x));
    REQUIRE(restored->update(x));
    REQUIRE(original.mean() == restored->mean());
    REQUIRE(original.variance() == restored->variance());
  }
  CHECK(original.snapshot() == restored->snapshot());
  CHECK(OnlineStats::restore(OnlineStatsSnapshot{}));
}

TEST_CASE("restore rejects snapshots that break the accumulator's invariants") {
  auto expect_corrupt = [](const OnlineStatsSnapshot& snap, const char* field) {
    const auto result = OnlineStats::restore(snap);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::corrupt_snapshot);
    CHECK(result.error().field == field);
  };
  const OnlineStatsSnapshot good{3, 2.0, 2.0, 1.0, 3.0};
  REQUIRE(OnlineStats::restore(good));
  auto s = good;
  s.mean = NAN_VALUE;
  expect_corrupt(s, "mean");
  s = good;
  s.m2 = -1.0;
  expect_corrupt(s, "m2");
  s = good;
  s.min = 4.0;
  expect_corrupt(s, "min");
  s = good;
  s.max = INF;
  expect_corrupt(s, "max");
  s = OnlineStatsSnapshot{};
  s.mean = 1.0;
  expect_corrupt(s, "count");
  s = OnlineStatsSnapshot{1, 2.0, 0.5, 2.0, 2.0};
  expect_corrupt(s, "m2");
  s = good;
  s.shift = NAN_VALUE;
  expect_corrupt(s, "shift");
}
