#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/normalizer.hpp"
#include "distributions.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::stats::Normalizer;
using anomstream::stats::NormalizerConfig;
using anomstream::stats::NormalizerKind;
using anomstream::stats::NormalizerSnapshot;

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NAN_VALUE = std::numeric_limits<double>::quiet_NaN();
constexpr double MAX_FINITE = std::numeric_limits<double>::max();

Normalizer<> make(std::size_t dimension, NormalizerKind kind, double clip_sigmas = 4.0) {
  auto normalizer = Normalizer<>::create(dimension, NormalizerConfig{.kind = kind, .clip_sigmas = clip_sigmas});
  REQUIRE(normalizer);
  return std::move(*normalizer);
}

// 500 rows of 3 features on very different scales: N(1e6, 1e3^2), U(-1, 1), N(0, 1e-6^2).
std::vector<double> mixed_rows(std::uint64_t seed, std::size_t rows = 500) {
  Xoshiro256 rng(seed);
  std::vector<double> out;
  for (std::size_t r = 0; r < rows; ++r) {
    out.push_back(1e6 + 1e3 * anomstream::stats::test::standard_normal(rng));
    out.push_back(2.0 * rng.uniform01() - 1.0);
    out.push_back(1e-6 * anomstream::stats::test::standard_normal(rng));
  }
  return out;
}

// Restoring `snap` fails with corrupt_snapshot naming `field`.
void expect_corrupt(const NormalizerSnapshot& snap, const char* field) {
  const auto result = Normalizer<>::restore(snap);
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::corrupt_snapshot);
  CHECK(result.error().field == field);
}

// Per-feature mean, population variance, min and max of transformed rows.
struct Column {
  double mean = 0, variance = 0, min = INF, max = -INF;
};
std::vector<Column> transformed_columns(const Normalizer<>& normalizer,
                                        const std::vector<double>& rows) {
  const std::size_t d = normalizer.dimension();
  const std::size_t n = rows.size() / d;
  std::vector<Column> columns(d);
  std::vector<double> out(d);
  std::vector<std::vector<double>> values(d);
  for (std::size_t r = 0; r < n; ++r) {
    REQUIRE(normalizer.transform(std::span(rows).subspan(r * d, d), out));
    for (std::size_t i = 0; i < d; ++i) values[i].push_back(out[i]);
  }
  for (std::size_t i = 0; i < d; ++i) {
    for (double v : values[i]) {
      columns[i].mean += v / static_cast<double>(n);
      columns[i].min = std::min(columns[i].min, v);
      columns[i].max = std::max(columns[i].max, v);
    }
    for (double v : values[i]) {
      columns[i].variance += (v - columns[i].mean) * (v - columns[i].mean) / static_cast<double>(n);
    }
  }
  return columns;
}

}  // namespace

TEST_CASE("z-score normalizer gives every fitted feature mean 0 and variance 1") {
  const auto rows = mixed_rows(1);
  auto normalizer = make(3, NormalizerKind::z_score);
  REQUIRE(normalizer.fit(rows));
  CHECK(normalizer.count() == 500);
  // None of these normal rows lies 4 stddevs out, so the winsorised statistics are the
  // plain ones.
  REQUIRE(normalizer.clipped() == 0);
  for (const Column& column : transformed_columns(normalizer, rows)) {
    // Exact up to rounding: ~1e-16 per operation over 500 rows.
    CHECK(std::abs(column.mean) < 1e-9);
    CHECK(column.variance == doctest::Approx(1.0).epsilon(1e-9));
  }
}

TEST_CASE("min-max normalizer maps each fitted feature's range onto [0, 1]") {
  const auto rows = mixed_rows(2);
  auto normalizer = make(3, NormalizerKind::min_max);
  REQUIRE(normalizer.fit(rows));
  REQUIRE(normalizer.clipped() == 0);  // as above: the range is the rows' own
  for (const Column& column : transformed_columns(normalizer, rows)) {
    CHECK(column.min == 0.0);
    CHECK(column.max == 1.0);
  }
  // Beyond the fitted range the map extrapolates linearly.
  std::array<double, 3> out{};
  const std::array<double, 3> beyond{normalizer.max()[0] + (normalizer.max()[0] - normalizer.min()[0]),
                                     normalizer.min()[1], normalizer.min()[2]};
  REQUIRE(normalizer.transform(beyond, out));
  CHECK(out[0] == doctest::Approx(2.0).epsilon(1e-12));
  CHECK(out[1] == 0.0);
}

TEST_CASE("kind none passes values through unchanged") {
  const auto rows = mixed_rows(3, 10);
  auto normalizer = make(3, NormalizerKind::none);
  REQUIRE(normalizer.fit(rows));
  std::array<double, 3> out{};
  REQUIRE(normalizer.transform(std::span(rows).first(3), out));
  CHECK(out[0] == rows[0]);
  CHECK(out[1] == rows[1]);
  CHECK(out[2] == rows[2]);
}

TEST_CASE("streaming observe accumulates exactly what fit computes over the same rows") {
  const auto rows = mixed_rows(4);
  for (const auto kind : {NormalizerKind::z_score, NormalizerKind::min_max}) {
    auto fitted = make(3, kind);
    REQUIRE(fitted.fit(rows));
    auto streamed = make(3, kind);
    for (std::size_t r = 0; r < 500; ++r) REQUIRE(streamed.observe(std::span(rows).subspan(3 * r, 3)));
    CHECK(streamed.snapshot() == fitted.snapshot());
    // A second fit replaces, not extends, the statistics.
    REQUIRE(fitted.fit(std::span(rows).first(30)));
    CHECK(fitted.count() == 10);
  }
}

TEST_CASE("inverse_transform undoes transform for every kind, in place too") {
  const auto rows = mixed_rows(5);
  for (const auto kind : {NormalizerKind::none, NormalizerKind::min_max, NormalizerKind::z_score}) {
    auto normalizer = make(3, kind);
    REQUIRE(normalizer.fit(rows));
    for (std::size_t r = 0; r < 500; r += 7) {
      const auto x = std::span(rows).subspan(3 * r, 3);
      std::array<double, 3> y{};
      REQUIRE(normalizer.transform(x, y));
      REQUIRE(normalizer.inverse_transform(y, y));
      for (std::size_t i = 0; i < 3; ++i) {
        // Two roundings of a value of size |x| (plus the offset's): a few ulps.
        CHECK(y[i] == doctest::Approx(x[i]).epsilon(1e-12).scale(std::abs(normalizer.offset(i))));
      }
    }
  }
}

TEST_CASE("a zero-variance or zero-range feature is shifted with scale 1, never divided by zero") {
  for (const auto kind : {NormalizerKind::z_score, NormalizerKind::min_max}) {
    auto normalizer = make(2, kind);
    std::array<double, 2> out{};
    // Before any row: scale 1 and offset 0, so transform is the identity.
    REQUIRE(normalizer.transform(std::array{5.0, -7.0}, out));
    CHECK(out == std::array{5.0, -7.0});
    for (int r = 0; r < 100; ++r) REQUIRE(normalizer.observe(std::array{4.0, static_cast<double>(r)}));
    CHECK(normalizer.scale(0) == 1.0);
    REQUIRE(normalizer.transform(std::array{4.0, 50.0}, out));
    CHECK(out[0] == 0.0);
    REQUIRE(normalizer.transform(std::array{7.0, 50.0}, out));
    CHECK(out[0] == 3.0);  // the change in raw units
    REQUIRE(normalizer.inverse_transform(out, out));
    CHECK(out[0] == 7.0);
  }
}

TEST_CASE("transform saturates instead of overflowing to infinity") {
  auto normalizer = make(1, NormalizerKind::z_score);
  REQUIRE(normalizer.observe(std::array{0.0}));
  REQUIRE(normalizer.observe(std::array{1e-150}));  // stddev 5e-151
  REQUIRE(normalizer.scale(0) == doctest::Approx(5e-151));
  std::array<double, 1> out{};
  REQUIRE(normalizer.transform(std::array{1e300}, out));
  CHECK(out[0] == MAX_FINITE);
  REQUIRE(normalizer.transform(std::array{-MAX_FINITE}, out));
  CHECK(out[0] == -MAX_FINITE);
  auto range = make(1, NormalizerKind::min_max);
  REQUIRE(range.observe(std::array{-MAX_FINITE}));
  REQUIRE(range.observe(std::array{MAX_FINITE}));  // max - min overflows
  CHECK(range.scale(0) == MAX_FINITE);
  REQUIRE(range.inverse_transform(std::array{3.0}, out));
  CHECK(std::isfinite(out[0]));
}

TEST_CASE("normalizer rejects a wrong length or a non-finite value, naming it, and keeps its state") {
  auto normalizer = make(3, NormalizerKind::z_score);
  REQUIRE(normalizer.fit(mixed_rows(6, 20)));
  const auto before = normalizer.snapshot();
  std::array<double, 3> out{};
  std::array<double, 2> short_out{};

  auto status = normalizer.observe(std::array{1.0, 2.0});
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::dimension_mismatch);
  CHECK(status.error().field == "x");
  status = normalizer.observe(std::array{1.0, NAN_VALUE, 2.0});
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::non_finite);
  CHECK(status.error().field == "x[1]");
  CHECK(normalizer.transform(std::array{1.0, 2.0, INF}, out).error().field == "x[2]");
  CHECK(normalizer.transform(std::array{1.0, 2.0, 3.0}, short_out).error().field == "out");
  CHECK(normalizer.inverse_transform(std::array{-INF, 2.0, 3.0}, out).error().field == "y[0]");
  CHECK(normalizer.inverse_transform(std::array{1.0, 2.0, 3.0, 4.0}, out).error().code ==
        ErrorCode::dimension_mismatch);

  std::vector<double> batch = mixed_rows(7, 4);
  batch[7] = NAN_VALUE;  // row 2, feature 1
  status = normalizer.fit(batch);
  REQUIRE_FALSE(status);
  CHECK(status.error().field == "rows[2][1]");
  batch.pop_back();
  CHECK(normalizer.fit(batch).error().code == ErrorCode::dimension_mismatch);
  CHECK(normalizer.fit({}).error().field == "rows");
  CHECK(normalizer.snapshot() == before);
}

TEST_CASE("normalizer configuration is validated field by field") {
  auto bad = Normalizer<>::create(0);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::invalid_config);
  CHECK(bad.error().field == "dimension");
  CHECK(bad.error().bound == "must be in [1, 1048576] (got 0)");
  CHECK(Normalizer<>::create(Normalizer<>::MAX_DIMENSION + 1).error().field == "dimension");
  bad = Normalizer<>::create(2, NormalizerConfig{static_cast<NormalizerKind>(9)});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "kind");
  CHECK(Normalizer<4>::create(NormalizerConfig{static_cast<NormalizerKind>(9)}).error().field == "kind");

  for (const auto kind : {NormalizerKind::none, NormalizerKind::min_max, NormalizerKind::z_score}) {
    CHECK(anomstream::stats::parse_normalizer_kind(to_string(kind)).value() == kind);
  }
  const auto parsed = anomstream::stats::parse_normalizer_kind("zscore", "pipeline.normalizer");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == ErrorCode::parse_error);
  CHECK(parsed.error().field == "pipeline.normalizer");
}

TEST_CASE("the fixed-dimension normalizer gives the runtime engine's results exactly") {
  const auto rows = mixed_rows(8, 200);
  auto engine = make(3, NormalizerKind::z_score);
  auto fixed = Normalizer<3>::create().value();
  std::vector<Normalizer<3>::Point> points;
  for (std::size_t r = 0; r < 200; ++r) points.push_back({rows[3 * r], rows[3 * r + 1], rows[3 * r + 2]});
  REQUIRE(engine.fit(rows));
  REQUIRE(fixed.fit(points));
  CHECK(fixed.snapshot() == engine.snapshot());
  for (const auto& p : points) {
    std::array<double, 3> expected{};
    REQUIRE(engine.transform(p, expected));
    const auto got = fixed.transform(p);
    REQUIRE(got);
    CHECK(*got == expected);
    std::array<double, 3> expected_back{};
    REQUIRE(engine.inverse_transform(expected, expected_back));
    CHECK(fixed.inverse_transform(*got).value() == expected_back);
  }
  points[3][2] = NAN_VALUE;
  const auto status = fixed.fit(points);
  REQUIRE_FALSE(status);
  CHECK(status.error().field == "rows[3][2]");
  CHECK(fixed.fit({}).error().code == ErrorCode::dimension_mismatch);
  CHECK(fixed.snapshot() == engine.snapshot());
}

TEST_CASE("a restored normalizer continues bit-for-bit like the original") {
  const auto rows = mixed_rows(9, 300);
  auto original = make(3, NormalizerKind::min_max);
  for (std::size_t r = 0; r < 100; ++r) REQUIRE(original.observe(std::span(rows).subspan(3 * r, 3)));
  auto restored = Normalizer<>::restore(original.snapshot());
  REQUIRE(restored);
  CHECK(restored->snapshot() == original.snapshot());
  for (std::size_t r = 100; r < 300; ++r) {
    const auto x = std::span(rows).subspan(3 * r, 3);
    std::array<double, 3> a{};
    std::array<double, 3> b{};
    REQUIRE(original.transform(x, a));
    REQUIRE(restored->transform(x, b));
    REQUIRE(a == b);
    REQUIRE(original.observe(x));
    REQUIRE(restored->observe(x));
  }
  CHECK(restored->snapshot() == original.snapshot());

  auto fixed = Normalizer<3>::create(NormalizerConfig{NormalizerKind::z_score}).value();
  REQUIRE(fixed.observe({1.0, 2.0, 3.0}));
  REQUIRE(fixed.observe({2.0, 2.0, 5.0}));
  auto fixed_restored = Normalizer<3>::restore(fixed.snapshot());
  REQUIRE(fixed_restored);
  REQUIRE(fixed.observe({4.0, 1.0, 0.0}));
  REQUIRE(fixed_restored->observe({4.0, 1.0, 0.0}));
  CHECK(fixed.transform({3.0, 3.0, 3.0}).value() == fixed_restored->transform({3.0, 3.0, 3.0}).value());
  const auto wrong = Normalizer<4>::restore(fixed.snapshot());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::corrupt_snapshot);
  CHECK(wrong.error().field == "mean");
}

TEST_CASE("normalizer restore rejects snapshots that break its invariants") {
  auto normalizer = make(2, NormalizerKind::z_score);
  REQUIRE(normalizer.observe(std::array{1.0, 2.0}));
  REQUIRE(normalizer.observe(std::array{3.0, 2.5}));
  const NormalizerSnapshot good = normalizer.snapshot();
  REQUIRE(Normalizer<>::restore(good));
  auto s = good;
  s.kind = static_cast<NormalizerKind>(5);
  expect_corrupt(s, "kind");
  s = good;
  s.mean.clear();
  expect_corrupt(s, "mean");
  s = good;
  s.m2.pop_back();
  expect_corrupt(s, "m2");
  s = good;
  s.mean[1] = INF;
  expect_corrupt(s, "mean[1]");
  s = good;
  s.m2[0] = -0.5;
  expect_corrupt(s, "m2[0]");
  s = good;
  s.min[1] = 9.0;
  expect_corrupt(s, "min[1]");
  s = good;
  s.count = 0;
  s.warmup.clear();
  expect_corrupt(s, "mean[0]");
}

namespace {

// 2000 rows of 3 features, N(5, 2^2) each, with 1e30 in feature 0 at row `poison_at`.
std::vector<double> poisoned_rows(std::uint64_t seed, std::size_t poison_at) {
  Xoshiro256 rng(seed);
  std::vector<double> out;
  for (std::size_t r = 0; r < 2000; ++r) {
    for (std::size_t i = 0; i < 3; ++i) out.push_back(5.0 + 2.0 * anomstream::stats::test::standard_normal(rng));
  }
  out[3 * poison_at] = 1e30;
  return out;
}

void observe_all(Normalizer<>& normalizer, const std::vector<double>& rows) {
  for (std::size_t r = 0; r < rows.size() / normalizer.dimension(); ++r) {
    REQUIRE(normalizer.observe(std::span(rows).subspan(r * normalizer.dimension(), normalizer.dimension())));
  }
}

}  // namespace

TEST_CASE("one 1e30 anywhere in warm-up or after it leaves later outliers standing out by many stddevs") {
  // Exact statistics would put the stddev near 1e30 / sqrt(2000) = 2e28, so a later +20
  // (10 stddevs) would normalise to ~1e-27.
  for (const std::size_t at : {0UL, 1UL, 2UL, 10UL, 31UL, 32UL, 500UL}) {
    CAPTURE(at);
    const auto rows = poisoned_rows(11, at);
    auto normalizer = make(3, NormalizerKind::z_score);
    observe_all(normalizer, rows);
    // Within sampling error of the clean N(5, 2^2): the standard error of a stddev over
    // 2000 rows is 2 / sqrt(4000) = 0.03, of the mean 0.045; the bounds are 5 of those.
    CHECK(normalizer.mean()[0] == doctest::Approx(5.0).epsilon(0.05));
    CHECK(normalizer.scale(0) == doctest::Approx(2.0).epsilon(0.08));
    std::array<double, 3> out{};
    REQUIRE(normalizer.transform(std::array{25.0, 5.0, 5.0}, out));
    CHECK(out[0] > 9.0);
    CHECK(normalizer.clipped() >= 1);

    auto range = make(3, NormalizerKind::min_max);
    observe_all(range, rows);
    // The range holds the clipped value, at most 4 warm-up stddevs from the centre.
    CHECK(range.max()[0] < 5.0 + 4.0 * 2.0 * 2.0);
    REQUIRE(range.transform(std::array{25.0, 5.0, 5.0}, out));
    CHECK(out[0] > 1.0);
  }
  // The same rows without clipping: the stream is blind on feature 0.
  auto plain = make(3, NormalizerKind::z_score, INF);
  observe_all(plain, poisoned_rows(11, 10));
  CHECK(plain.scale(0) > 1e27);
  CHECK(plain.clipped() == 0);
}

TEST_CASE("on clean normal data the winsorised statistics stay within 1e-3 stddev of the exact ones") {
  // At k = 4 a clean normal value is clipped with probability 6e-5, and only by the
  // little it lies beyond 4 stddevs, so over 20 000 rows the estimates differ from the
  // exact ones (clipping off, same rows) by about 1e-4 stddev; the warm-up clips at
  // median +/- 4 * 1.4826 * MAD, at worst ~2.4 stddevs in a 32-row sample, which moves
  // a few values by under a stddev each, i.e. ~1e-4 over 20 000 rows. 1e-3 leaves a
  // factor of 10.
  for (const std::uint64_t seed : {21UL, 22UL, 23UL}) {
    CAPTURE(seed);
    Xoshiro256 rng(seed);
    std::vector<double> rows;
    for (std::size_t r = 0; r < 20'000; ++r) rows.push_back(-3e3 + 7.0 * anomstream::stats::test::standard_normal(rng));
    auto robust = make(1, NormalizerKind::z_score);
    auto exact = make(1, NormalizerKind::z_score, INF);
    observe_all(robust, rows);
    observe_all(exact, rows);
    const double sd = exact.scale(0);
    CHECK(std::abs(robust.mean()[0] - exact.mean()[0]) <= 1e-3 * sd);
    CHECK(std::abs(robust.scale(0) - sd) <= 1e-3 * sd);
    CHECK(robust.clipped() <= 10);  // 20 000 * 6e-5 = 1.3 expected, plus the warm-up's
  }
}

TEST_CASE("the warm-up statistics are the median-winsorised ones of the rows so far") {
  auto normalizer = make(1, NormalizerKind::z_score);
  REQUIRE(normalizer.warmup_rows() == 32);
  REQUIRE(normalizer.observe(std::array{1e30}));
  CHECK(normalizer.mean()[0] == 1e30);  // one row: nothing to compare it with
  REQUIRE(normalizer.observe(std::array{1.0}));
  REQUIRE(normalizer.observe(std::array{3.0}));
  // Median 3, MAD 2: 1e30 enters as 3 + 4 * 1.4826 * 2 = 14.86.
  CHECK(normalizer.max()[0] == doctest::Approx(3.0 + 4.0 * 1.482602218505602 * 2.0).epsilon(1e-15));
  CHECK(normalizer.mean()[0] == doctest::Approx((1.0 + 3.0 + 14.860817748044816) / 3.0).epsilon(1e-15));
  CHECK(normalizer.warming_up());
  CHECK(normalizer.clipped() == 0);  // counted once warm-up ends
  for (int r = 3; r < 31; ++r) REQUIRE(normalizer.observe(std::array{2.0 + (r % 3)}));
  CHECK(normalizer.clipped() == 0);
  REQUIRE(normalizer.observe(std::array{2.0}));  // the 32nd row
  CHECK_FALSE(normalizer.warming_up());
  CHECK(normalizer.clipped() == 1);
  // Past warm-up each clipped value counts as it enters.
  REQUIRE(normalizer.observe(std::array{-1e30}));
  CHECK(normalizer.clipped() == 2);
  CHECK(normalizer.min()[0] > -10.0);
}

TEST_CASE("a constant feature is clipped at k raw units, so a lone extreme value cannot blind it") {
  auto normalizer = make(1, NormalizerKind::z_score);
  for (int r = 0; r < 100; ++r) REQUIRE(normalizer.observe(std::array{7.0}));
  REQUIRE(normalizer.observe(std::array{1e30}));
  CHECK(normalizer.max()[0] == 7.0 + 4.0);
  CHECK(normalizer.clipped() == 1);
  // A sparse feature (mostly 0, MAD 0 in warm-up) keeps its ones unclipped.
  auto sparse = make(1, NormalizerKind::z_score);
  for (int r = 0; r < 400; ++r) REQUIRE(sparse.observe(std::array{r % 5 == 0 ? 1.0 : 0.0}));
  CHECK(sparse.clipped() == 0);
  CHECK(sparse.scale(0) == doctest::Approx(0.4).epsilon(1e-12));  // sqrt(0.2 * 0.8)
}

TEST_CASE("a lasting change of level widens the spread until it fits rather than being clipped forever") {
  auto normalizer = make(1, NormalizerKind::z_score);
  Xoshiro256 rng(31);
  for (int r = 0; r < 1000; ++r) REQUIRE(normalizer.observe(std::array{anomstream::stats::test::standard_normal(rng)}));
  std::uint64_t clipped_at_shift = normalizer.clipped();
  int rows_until_fit = -1;
  std::array<double, 1> out{};
  for (int r = 0; r < 5000 && rows_until_fit < 0; ++r) {
    REQUIRE(normalizer.observe(std::array{20.0 + anomstream::stats::test::standard_normal(rng)}));
    REQUIRE(normalizer.transform(std::array{20.0}, out));
    if (out[0] < 4.0) rows_until_fit = r + 1;
  }
  MESSAGE("rows until the new level is within 4 stddevs: ", rows_until_fit);
  // The variance grows by up to a factor 1 + 15 / n per clipped row: from 1 to ~(20/4)^2
  // takes about n * ln(25) / 15 rows at n ~ 1000, a few hundred.
  CHECK(rows_until_fit > 0);
  CHECK(rows_until_fit < 1000);
  CHECK(normalizer.clipped() > clipped_at_shift);
}

TEST_CASE("a normalizer restored at any point of warm-up or after continues bit-for-bit, clipped count too") {
  const auto rows = poisoned_rows(41, 5);
  for (const auto kind : {NormalizerKind::z_score, NormalizerKind::min_max}) {
    for (const std::size_t at : {0UL, 1UL, 2UL, 17UL, 31UL, 32UL, 33UL, 400UL}) {
      CAPTURE(at);
      auto original = make(3, kind);
      for (std::size_t r = 0; r < at; ++r) REQUIRE(original.observe(std::span(rows).subspan(3 * r, 3)));
      const auto snap = original.snapshot();
      CHECK(snap.warmup.size() == (at < 32 ? 3 * at : 0));
      auto restored = Normalizer<>::restore(snap);
      REQUIRE(restored);
      CHECK(restored->snapshot() == snap);
      for (std::size_t r = at; r < 600; ++r) {
        const auto x = std::span(rows).subspan(3 * r, 3);
        std::array<double, 3> a{};
        std::array<double, 3> b{};
        REQUIRE(original.transform(x, a));
        REQUIRE(restored->transform(x, b));
        REQUIRE(std::memcmp(a.data(), b.data(), sizeof a) == 0);
        REQUIRE(original.observe(x));
        REQUIRE(restored->observe(x));
      }
      CHECK(restored->snapshot() == original.snapshot());
      CHECK(restored->clipped() == original.clipped());
      CHECK(original.clipped() >= 1);  // the 1e30 at row 5
    }
  }
}

TEST_CASE("normalizer restore rejects clipping parameters, warm-up rows and clipped counts that cannot be") {
  auto normalizer = make(2, NormalizerKind::z_score);
  for (int r = 0; r < 5; ++r) REQUIRE(normalizer.observe(std::array{1.0 * r, r == 3 ? 1e30 : 2.0 - r}));
  const NormalizerSnapshot warming = normalizer.snapshot();
  REQUIRE(Normalizer<>::restore(warming));
  for (int r = 5; r < 40; ++r) REQUIRE(normalizer.observe(std::array{1.0 * r, r == 35 ? -1e30 : 2.0 - r}));
  const NormalizerSnapshot warm = normalizer.snapshot();
  REQUIRE(warm.clipped >= 1);
  REQUIRE(Normalizer<>::restore(warm));
  const auto corrupt_after = [](NormalizerSnapshot snap, auto&& mutate, const char* field) {
    mutate(snap);
    expect_corrupt(snap, field);
  };
  corrupt_after(warm, [](auto& s) { s.clip_sigmas = 1.5; }, "clip_sigmas");
  corrupt_after(warm, [](auto& s) { s.clip_sigmas = NAN_VALUE; }, "clip_sigmas");
  corrupt_after(warm, [](auto& s) { s.warmup_rows = 2; }, "warmup_rows");
  corrupt_after(warm, [](auto& s) { s.warmup_rows = std::uint64_t{1} << 40; }, "warmup_rows");
  corrupt_after(warm, [](auto& s) { s.clipped = 40 * 2 + 1; }, "clipped");
  // A buffer after warm-up.
  corrupt_after(warm, [&](auto& s) { s.warmup = warming.warmup; }, "warmup");

  corrupt_after(warming, [](auto& s) { s.warmup.pop_back(); }, "warmup");
  corrupt_after(warming, [](auto& s) { s.warmup[7] = INF; }, "warmup[7]");
  // Row 3, feature 0: the statistics no longer match the rows.
  corrupt_after(warming, [](auto& s) { s.warmup[6] = 1e30; }, "mean[0]");
  corrupt_after(warming, [](auto& s) { s.m2[1] *= 2.0; }, "m2[1]");
  corrupt_after(warming, [](auto& s) { s.clipped = 1; }, "clipped");
  // Clipping off: no buffer, no clipped values.
  auto plain = make(2, NormalizerKind::z_score, INF);
  REQUIRE(plain.observe(std::array{1.0, 2.0}));
  CHECK(plain.snapshot().warmup.empty());
  REQUIRE(Normalizer<>::restore(plain.snapshot()));
  corrupt_after(plain.snapshot(), [](auto& s) { s.clipped = 1; }, "clipped");
  corrupt_after(plain.snapshot(), [](auto& s) { s.warmup = {1.0, 2.0}; }, "warmup");
}

TEST_CASE("clipping parameters are validated at create, naming the field and the bound") {
  const auto with = [](double k, std::size_t rows) {
    return Normalizer<>::create(2, NormalizerConfig{.clip_sigmas = k, .warmup_rows = rows});
  };
  auto bad = with(1.9, 32);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::invalid_config);
  CHECK(bad.error().field == "clip_sigmas");
  CHECK(bad.error().bound == "must be in [2, +inf] (got 1.9)");
  CHECK(with(NAN_VALUE, 32).error().field == "clip_sigmas");
  CHECK(with(-INF, 32).error().field == "clip_sigmas");
  CHECK(with(2.0, 32));
  CHECK(with(INF, 32));
  bad = with(4.0, 2);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "warmup_rows");
  CHECK(bad.error().bound == "must be in [3, 1024] (got 2)");
  CHECK(with(4.0, 1025).error().field == "warmup_rows");
  CHECK(with(4.0, 3));
  CHECK(Normalizer<4>::create(NormalizerConfig{.clip_sigmas = 0.0}).error().field == "clip_sigmas");
  // The defaults, and what the per-stream memory bound is made of.
  const auto normalizer = Normalizer<>::create(8).value();
  CHECK(normalizer.clip_sigmas() == 4.0);
  CHECK(normalizer.warmup_rows() == 32);
  CHECK(normalizer.memory_bytes() >= (32 + 8 * 32) * 8 + 8 * 32);
  CHECK(normalizer.memory_bytes() <= (32 + 8 * 32) * 8 + 8 * 32 + 256);
}
