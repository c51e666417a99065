#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/score_ensemble.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::stats::EnsembleRule;
using anomstream::stats::ScoreEnsemble;
using anomstream::stats::ScoreEnsembleConfig;
using anomstream::stats::ScoreEnsembleSnapshot;

namespace {

ScoreEnsemble make(ScoreEnsembleConfig config) {
  auto ensemble = ScoreEnsemble::create(config);
  REQUIRE(ensemble);
  return std::move(*ensemble);
}

void feed(ScoreEnsemble& ensemble, const std::vector<std::array<double, 2>>& rows) {
  for (const auto& row : rows) REQUIRE(ensemble.process(row));
}

// Member 0 sees 1, 2, ..., n; member 1 sees 10 times that.
std::vector<std::array<double, 2>> ramp(std::size_t n) {
  std::vector<std::array<double, 2>> rows;
  for (std::size_t i = 1; i <= n; ++i) rows.push_back({double(i), 10.0 * double(i)});
  return rows;
}

}  // namespace

TEST_CASE("below the tail a member's surprise is -ln of its conformal p-value") {
  // History 1..100, tail_fraction 0.1: the tail starts above the 90th value.
  auto ensemble = make({.members = 2, .history = 100, .min_history = 1, .tail_fraction = 0.1});
  feed(ensemble, ramp(100));
  // p = (1 + #{recent >= s}) / (n + 1).
  CHECK(ensemble.surprise(0, 50.0) == doctest::Approx(-std::log(52.0 / 101.0)).epsilon(1e-15));
  CHECK(ensemble.surprise(0, 1.0) == doctest::Approx(-std::log(101.0 / 101.0)).epsilon(1e-15));
  CHECK(ensemble.surprise(0, 0.5) == 0.0);
  CHECK(ensemble.surprise(0, 90.0) == doctest::Approx(-std::log(12.0 / 101.0)).epsilon(1e-15));
}

TEST_CASE("above the threshold the tail is the exponential fit to the excesses") {
  auto ensemble = make({.members = 2, .history = 100, .min_history = 1, .tail_fraction = 0.1});
  feed(ensemble, ramp(100));
  // u = 90 (10 values above it), excesses 1..10, sigma = 5.5:
  // p = (10 / 101) exp(-(s - 90) / 5.5).
  for (const double s : {90.5, 95.0, 100.0, 101.0, 200.0}) {
    CAPTURE(s);
    const double expected = (s - 90.0) / 5.5 - std::log(10.0 / 101.0);
    CHECK(ensemble.surprise(0, s) == doctest::Approx(expected).epsilon(1e-14));
  }
}

namespace {

// The definition, from the last `history` scores as they arrived.
double reference_surprise(const std::vector<double>& seen, std::size_t history, double fraction,
                          double s) {
  std::vector<double> recent(seen.end() - static_cast<std::ptrdiff_t>(std::min(history, seen.size())),
                             seen.end());
  std::sort(recent.begin(), recent.end());
  const std::size_t n = recent.size();
  const std::size_t tail = std::min<std::size_t>(n - 1, std::max<std::size_t>(1, std::size_t(fraction * double(n))));
  const double u = recent[n - 1 - tail];
  std::size_t above = 0, at_least = 0;
  double excess = 0.0;
  for (const double v : recent) {
    if (v > u) ++above, excess += v - u;
    if (v >= s) ++at_least;
  }
  if (s > u && excess > 0.0) return (s - u) / (excess / double(above)) - std::log(double(above) / double(n + 1));
  return -std::log(double(at_least + 1) / double(n + 1));
}

}  // namespace

TEST_CASE("the sorted history answers as the definition does, ties and ring wrap included") {
  // Scores on a coarse grid so that many tie, including with the threshold.
  auto ensemble = make({.members = 1, .history = 50, .min_history = 1, .tail_fraction = 0.2});
  std::vector<double> seen;
  Xoshiro256 rng(13);
  for (int i = 0; i < 500; ++i) {
    const double score = double(rng.below(12));
    if (!seen.empty()) {
      for (const double s : {-1.0, 0.0, 3.0, 7.5, 11.0, 11.5, 30.0, score}) {
        CAPTURE(i);
        CAPTURE(s);
        CHECK(ensemble.surprise(0, s) ==
              doctest::Approx(reference_surprise(seen, 50, 0.2, s)).epsilon(1e-12));
      }
    }
    const double row[1] = {score};
    REQUIRE(ensemble.process(row));
    seen.push_back(score);
  }
}

TEST_CASE("surprise never falls as the score rises, across the threshold and past the largest") {
  auto ensemble = make({.members = 1, .history = 256, .min_history = 1});
  Xoshiro256 rng(7);
  for (int i = 0; i < 400; ++i) {
    const double row[1] = {-std::log(1.0 - rng.uniform01())};
    REQUIRE(ensemble.process(row));
  }
  double last = -1.0;
  for (double s = -1.0; s < 20.0; s += 0.01) {
    const double now = ensemble.surprise(0, s);
    CHECK(now >= last);
    last = now;
  }
}

TEST_CASE("a member's scale does not matter: doubling its scores changes no output") {
  // Doubling is exact in binary floating point, so every comparison, threshold and mean
  // excess scales exactly and the surprises are bit-identical.
  auto plain = make({.members = 2});
  auto doubled = make({.members = 2});
  Xoshiro256 rng(11);
  for (int i = 0; i < 3000; ++i) {
    const double a = rng.uniform01(), b = -std::log(1.0 - rng.uniform01());
    const double x[2] = {a, b};
    const double y[2] = {2.0 * a, 2.0 * b};
    auto px = plain.process(x);
    auto py = doubled.process(y);
    REQUIRE(px);
    REQUIRE(py);
    CHECK(*px == *py);
  }
}

TEST_CASE("a row is scored before it is learned") {
  auto ensemble = make({.members = 2, .history = 64, .min_history = 1});
  feed(ensemble, ramp(40));
  const double expected0 = ensemble.surprise(0, 1000.0);
  const double expected1 = ensemble.surprise(1, 3.0);
  const double row[2] = {1000.0, 3.0};
  auto combined = ensemble.process(row);
  REQUIRE(combined);
  CHECK(ensemble.surprises()[0] == expected0);
  CHECK(ensemble.surprises()[1] == expected1);
  CHECK(*combined == std::max(expected0, expected1));
  // Now 1000 is in member 0's history and no longer beyond it.
  CHECK(ensemble.surprise(0, 1000.0) < expected0);
}

TEST_CASE("max takes the most surprised member, sum adds the surprises") {
  auto by_max = make({.members = 2, .history = 64, .min_history = 1, .rule = EnsembleRule::max});
  auto by_sum = make({.members = 2, .history = 64, .min_history = 1, .rule = EnsembleRule::sum});
  feed(by_max, ramp(50));
  feed(by_sum, ramp(50));
  const double row[2] = {45.0, 700.0};
  auto m = by_max.process(row);
  auto s = by_sum.process(row);
  REQUIRE(m);
  REQUIRE(s);
  CHECK(by_max.surprises()[0] == by_sum.surprises()[0]);
  CHECK(by_max.surprises()[1] == by_sum.surprises()[1]);
  CHECK(*m == std::max(by_max.surprises()[0], by_max.surprises()[1]));
  CHECK(*s == by_sum.surprises()[0] + by_sum.surprises()[1]);
  CHECK(*m > 0.0);
}

TEST_CASE("a member counts only once it holds min_history scores") {
  auto ensemble = make({.members = 2, .history = 64, .min_history = 10});
  for (int i = 0; i < 10; ++i) {
    const double row[2] = {double(i), 1e6 * double(i)};
    auto combined = ensemble.process(row);
    REQUIRE(combined);
    CHECK(*combined == 0.0);
  }
  const double row[2] = {100.0, 0.0};
  auto combined = ensemble.process(row);
  REQUIRE(combined);
  CHECK(*combined > 0.0);
}

TEST_CASE("the history is bounded: scores older than `history` rows are forgotten") {
  // Two ensembles that saw different first 100 rows agree exactly once 64 common rows
  // have replaced them.
  auto a = make({.members = 2, .history = 64, .min_history = 1});
  auto b = make({.members = 2, .history = 64, .min_history = 1});
  for (int i = 0; i < 100; ++i) {
    const double x[2] = {double(i), 1.0};
    const double y[2] = {1e9, -double(i)};
    REQUIRE(a.process(x));
    REQUIRE(b.process(y));
  }
  Xoshiro256 rng(3);
  for (int i = 0; i < 200; ++i) {
    const double row[2] = {rng.uniform01(), rng.uniform01()};
    auto pa = a.process(row);
    auto pb = b.process(row);
    REQUIRE(pa);
    REQUIRE(pb);
    if (i >= 64) CHECK(*pa == *pb);
  }
  const std::size_t bytes = a.memory_bytes();
  // Each member's scores twice (arrival order and sorted), and the surprises.
  CHECK(bytes >= (2 * 2 * 64 + 2) * sizeof(double));
  CHECK(bytes < (2 * 2 * 64 + 2) * sizeof(double) + 256);
}

TEST_CASE("a snapshot restores an ensemble that continues bit for bit") {
  for (const std::size_t rows : {0, 5, 64, 150}) {
    CAPTURE(rows);
    auto original = make({.members = 3, .history = 64, .min_history = 4, .rule = EnsembleRule::sum});
    Xoshiro256 rng(5);
    auto row = [&rng] {
      return std::array<double, 3>{rng.uniform01(), 3.0 * rng.uniform01(), -rng.uniform01()};
    };
    for (std::size_t i = 0; i < rows; ++i) REQUIRE(original.process(row()));
    const ScoreEnsembleSnapshot snapshot = original.snapshot();
    CHECK(snapshot.recent.size() == 3 * std::min<std::size_t>(rows, 64));
    auto restored = ScoreEnsemble::restore(snapshot);
    REQUIRE(restored);
    CHECK(restored->snapshot() == snapshot);
    for (int i = 0; i < 100; ++i) {
      const auto r = row();
      auto x = original.process(r);
      auto y = restored->process(r);
      REQUIRE(x);
      REQUIRE(y);
      CHECK(*x == *y);
    }
    CHECK(restored->snapshot() == original.snapshot());
  }
}

TEST_CASE("restore rejects a snapshot that breaks its invariants") {
  auto ensemble = make({.members = 2, .history = 8, .min_history = 1});
  feed(ensemble, ramp(5));
  const auto good = ensemble.snapshot();
  auto short_recent = good;
  short_recent.recent.pop_back();
  auto non_finite = good;
  non_finite.recent[3] = std::numeric_limits<double>::quiet_NaN();
  auto bad_config = good;
  bad_config.config.history = 1;
  auto more_seen = good;
  more_seen.seen = 6;  // 6 rows need 2 * 6 scores
  for (const auto& broken : {short_recent, non_finite, bad_config, more_seen}) {
    auto restored = ScoreEnsemble::restore(broken);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
  }
  CHECK(ScoreEnsemble::restore(bad_config).error().field == "config.history");
}

TEST_CASE("create names the field outside its bound") {
  auto field_of = [](ScoreEnsembleConfig config) {
    auto ensemble = ScoreEnsemble::create(config);
    REQUIRE_FALSE(ensemble);
    CHECK(ensemble.error().code == ErrorCode::invalid_config);
    return ensemble.error().field;
  };
  CHECK(field_of({.members = 0}) == "members");
  CHECK(field_of({.members = ScoreEnsemble::MAX_MEMBERS + 1}) == "members");
  CHECK(field_of({.history = 1}) == "history");
  CHECK(field_of({.history = 16, .min_history = 17}) == "min_history");
  CHECK(field_of({.min_history = 0}) == "min_history");
  CHECK(field_of({.tail_fraction = 0.0}) == "tail_fraction");
  CHECK(field_of({.tail_fraction = 0.6}) == "tail_fraction");
  CHECK(field_of({.tail_fraction = std::numeric_limits<double>::quiet_NaN()}) == "tail_fraction");
  CHECK(field_of({.rule = static_cast<EnsembleRule>(7)}) == "rule");
}

TEST_CASE("process rejects a wrong number of scores or a non-finite one and keeps its state") {
  auto ensemble = make({.members = 2, .history = 16, .min_history = 1});
  feed(ensemble, ramp(10));
  const auto before = ensemble.snapshot();
  const double three[3] = {1.0, 2.0, 3.0};
  auto wrong = ensemble.process(three);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::dimension_mismatch);
  const double nan_row[2] = {1.0, std::numeric_limits<double>::quiet_NaN()};
  auto bad = ensemble.process(nan_row);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::non_finite);
  const double inf_row[2] = {std::numeric_limits<double>::infinity(), 1.0};
  CHECK_FALSE(ensemble.process(inf_row));
  CHECK(ensemble.snapshot() == before);
}

TEST_CASE("to_string names the rules") {
  CHECK(to_string(EnsembleRule::max) == "max");
  CHECK(to_string(EnsembleRule::sum) == "sum");
}
