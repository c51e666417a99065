#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/score_histogram.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::stats::ScoreHistogram;
using anomstream::stats::ScoreHistogramConfig;
using anomstream::stats::ScoreHistogramSnapshot;

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NAN_VALUE = std::numeric_limits<double>::quiet_NaN();

ScoreHistogram make(double lo = 0.0, double hi = 1.0, std::size_t bins = 100) {
  auto histogram = ScoreHistogram::create({lo, hi, bins});
  REQUIRE(histogram);
  return std::move(*histogram);
}

}  // namespace

TEST_CASE("uniform scores fill equal bins within sampling error") {
  // 1e5 U(0,1) scores in 100 bins: each count is Binomial(1e5, 0.01), sd ~31.5; accept
  // 5 sd.
  ScoreHistogram histogram = make();
  Xoshiro256 rng(3);
  for (int i = 0; i < 100'000; ++i) REQUIRE(histogram.add(rng.uniform01()));
  CHECK(histogram.total() == 100'000);
  CHECK(histogram.underflow() == 0);
  CHECK(histogram.overflow() == 0);
  for (const auto count : histogram.counts()) {
    CHECK(std::abs(static_cast<double>(count) - 1000.0) < 5 * 31.5);
  }
}

TEST_CASE("histogram quantiles are within one bin width of the sample quantile") {
  // Both the interpolated estimate and the sample quantile lie in the bin that holds the
  // target rank, so they differ by at most its width.
  ScoreHistogram histogram = make(-4.0, 4.0, 64);  // width 0.125
  Xoshiro256 rng(4);
  std::vector<double> scores;
  for (int i = 0; i < 20'000; ++i) {
    // Sum of three uniforms, centred: a bell on [-1.5, 1.5] scaled to [-3, 3].
    const double s = 2.0 * (rng.uniform01() + rng.uniform01() + rng.uniform01() - 1.5);
    scores.push_back(s);
    REQUIRE(histogram.add(s));
  }
  std::sort(scores.begin(), scores.end());
  for (double q : {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0}) {
    const auto index = std::min(scores.size() - 1, static_cast<std::size_t>(q * scores.size()));
    const double estimate = histogram.quantile(q).value();
    INFO("q=" << q << " estimate " << estimate << " sample " << scores[index]);
    CHECK(std::abs(estimate - scores[index]) <= histogram.bin_width());
  }
}

TEST_CASE("scores outside [lo, hi) go to underflow and overflow, and quantiles there clamp") {
  ScoreHistogram histogram = make(0.0, 10.0, 10);
  for (double s : {-5.0, -0.0001, 0.0, 9.999, 10.0, 12.0, 1e300}) REQUIRE(histogram.add(s));
  CHECK(histogram.underflow() == 2);
  CHECK(histogram.overflow() == 3);
  CHECK(histogram.counts()[0] == 1);  // lo is inclusive
  CHECK(histogram.counts()[9] == 1);
  CHECK(histogram.total() == 7);
  CHECK(histogram.quantile(0.1).value() == 0.0);   // rank 0.7 of 2 in the underflow
  CHECK(histogram.quantile(0.9).value() == 10.0);  // in the overflow
  CHECK(histogram.quantile(0.4).value() == doctest::Approx(0.8));  // bin 0, 0.8 through

  // A score one ulp below hi lands in the last bin even if rounding says index == bins.
  ScoreHistogram narrow = make(0.1, 0.7, 3);
  REQUIRE(narrow.add(std::nextafter(0.7, 0.0)));
  CHECK(narrow.counts()[2] == 1);
  CHECK(narrow.bin_lower(1) == doctest::Approx(0.3));
  CHECK(narrow.bin_lower(3) == 0.7);
}

TEST_CASE("histogram rejects non-finite scores, bad quantile arguments and empty queries") {
  ScoreHistogram histogram = make();
  CHECK(histogram.quantile(0.5).error().code == ErrorCode::not_ready);
  for (double bad : {NAN_VALUE, INF, -INF}) {
    const auto status = histogram.add(bad);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::non_finite);
    CHECK(status.error().field == "score");
  }
  CHECK(histogram.total() == 0);
  REQUIRE(histogram.add(0.5));
  for (double bad_q : {-0.5, 1.5, NAN_VALUE}) {
    CHECK(histogram.quantile(bad_q).error().field == "q");
  }
}

TEST_CASE("histogram configuration is validated field by field") {
  const auto expect_invalid = [](ScoreHistogramConfig config, const char* field) {
    const auto result = ScoreHistogram::create(config);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::invalid_config);
    CHECK(result.error().field == field);
  };
  expect_invalid({NAN_VALUE, 1.0, 10}, "lo");
  expect_invalid({0.0, INF, 10}, "hi");
  expect_invalid({1.0, 1.0, 10}, "hi");
  expect_invalid({2.0, 1.0, 10}, "hi");
  expect_invalid({-1e308, 1e308, 10}, "hi");
  expect_invalid({0.0, 1.0, 0}, "bins");
  expect_invalid({0.0, 1.0, ScoreHistogram::MAX_BINS + 1}, "bins");
  expect_invalid({0.0, 4.9e-324, 4}, "bins");  // width underflows to 0
  const auto message = ScoreHistogram::create({2.0, 1.0, 10}).error().message();
  CHECK(message == "invalid_config: hi: must be > lo (2) (got 1)");
}

TEST_CASE("merging histograms of two halves equals one histogram of the whole") {
  ScoreHistogram whole = make(-1.0, 1.0, 20);
  ScoreHistogram left = make(-1.0, 1.0, 20);
  ScoreHistogram right = make(-1.0, 1.0, 20);
  Xoshiro256 rng(8);
  for (int i = 0; i < 5000; ++i) {
    const double s = 3.0 * rng.uniform01() - 1.5;
    REQUIRE(whole.add(s));
    REQUIRE((i % 3 == 0 ? left : right).add(s));
  }
  REQUIRE(left.merge(right));
  CHECK(left.snapshot() == whole.snapshot());
  CHECK(left.total() == whole.total());

  ScoreHistogram other_range = make(-1.0, 2.0, 20);
  const auto before = left.snapshot();
  const auto status = left.merge(other_range);
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::incompatible);
  CHECK(left.merge(make(-1.0, 1.0, 21)).error().code == ErrorCode::incompatible);
  CHECK(left.snapshot() == before);
}

TEST_CASE("a restored histogram continues bit-for-bit like the original") {
  ScoreHistogram original = make(0.0, 5.0, 50);
  Xoshiro256 rng(12);
  for (int i = 0; i < 1000; ++i) REQUIRE(original.add(6.0 * rng.uniform01() - 0.5));
  auto restored = ScoreHistogram::restore(original.snapshot());
  REQUIRE(restored);
  CHECK(restored->total() == original.total());
  for (int i = 0; i < 1000; ++i) {
    const double s = 6.0 * rng.uniform01() - 0.5;
    REQUIRE(original.add(s));
    REQUIRE(restored->add(s));
  }
  CHECK(restored->snapshot() == original.snapshot());
  for (double q : {0.05, 0.5, 0.95}) CHECK(restored->quantile(q).value() == original.quantile(q).value());
  original.reset();
  CHECK(original.total() == 0);
  CHECK(original.snapshot().counts == std::vector<std::uint64_t>(50, 0));
}

TEST_CASE("histogram restore rejects snapshots that break its invariants") {
  const ScoreHistogramSnapshot good{0.0, 1.0, std::vector<std::uint64_t>(4, 2), 1, 1};
  REQUIRE(ScoreHistogram::restore(good));
  CHECK(ScoreHistogram::restore(good)->total() == 10);
  const auto expect_corrupt = [](const ScoreHistogramSnapshot& snap, const char* field) {
    const auto result = ScoreHistogram::restore(snap);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::corrupt_snapshot);
    CHECK(result.error().field == field);
  };
  auto s = good;
  s.hi = -1.0;
  expect_corrupt(s, "hi");
  s = good;
  s.lo = NAN_VALUE;
  expect_corrupt(s, "lo");
  s = good;
  s.counts.clear();
  expect_corrupt(s, "counts");
  s = good;
  s.counts[0] = std::numeric_limits<std::uint64_t>::max();
  expect_corrupt(s, "counts");
}
