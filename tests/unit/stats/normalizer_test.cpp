#include <doctest/doctest.h>

#include <array>
#include <cmath>
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

Normalizer<> make(std::size_t dimension, NormalizerKind kind) {
  auto normalizer = Normalizer<>::create(dimension, NormalizerConfig{kind});
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
  auto expect_corrupt = [](const NormalizerSnapshot& snap, const char* field) {
    const auto result = Normalizer<>::restore(snap);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::corrupt_snapshot);
    CHECK(result.error().field == field);
  };
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
  expect_corrupt(s, "mean[0]");
}
