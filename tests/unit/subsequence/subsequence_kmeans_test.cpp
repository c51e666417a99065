#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "allocation_counter.hpp"
#include "anomstream/core/random.hpp"
#include "anomstream/subsequence/subsequence_kmeans.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::subsequence::ScoreAlignment;
using anomstream::subsequence::SubsequenceKMeans;
using anomstream::subsequence::SubsequenceKMeansConfig;
using anomstream::subsequence::SubsequenceKMeansSnapshot;

namespace {

SubsequenceKMeans make(const SubsequenceKMeansConfig& config) {
  auto detector = SubsequenceKMeans::create(config);
  REQUIRE(detector);
  return std::move(*detector);
}

// Row t of a d-channel periodic signal: channel j is a sine of period `period` shifted
// by j, scaled by j + 1, plus uniform noise of half-width `noise`.
std::vector<double> periodic_row(std::size_t t, std::size_t d, double period, double noise,
                                 Xoshiro256& rng) {
  std::vector<double> row(d);
  for (std::size_t j = 0; j < d; ++j) {
    const double phase = 2.0 * std::numbers::pi * (static_cast<double>(t) + 3.0 * j) / period;
    row[j] = (j + 1.0) * std::sin(phase) + noise * (2.0 * rng.uniform01() - 1.0);
  }
  return row;
}

// The window z-normalised as a whole, written out independently: one mean, the sample
// standard deviation (ddof = 1).
std::vector<double> z_normalise(const std::vector<double>& values) {
  double mean = 0.0;
  for (const double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double squares = 0.0;
  for (const double v : values) squares += (v - mean) * (v - mean);
  const double sd = std::sqrt(squares / static_cast<double>(values.size() - 1));
  std::vector<double> out;
  for (const double v : values) out.push_back((v - mean) / sd);
  return out;
}

}  // namespace

TEST_CASE("config errors name the field and the bound") {
  const auto field_of = [](SubsequenceKMeansConfig config) {
    auto detector = SubsequenceKMeans::create(config);
    REQUIRE_FALSE(detector);
    CHECK(detector.error().code == ErrorCode::invalid_config);
    CHECK_FALSE(detector.error().bound.empty());
    return detector.error().field;
  };
  CHECK(field_of({.dimension = 0}) == "dimension");
  CHECK(field_of({.dimension = 5000}) == "dimension");
  CHECK(field_of({.window = 1}) == "window");
  CHECK(field_of({.dimension = 2000, .window = 40}) == "window");
  CHECK(field_of({.clusters = 0}) == "clusters");
  CHECK(field_of({.clusters = 300}) == "clusters");
  CHECK(field_of({.clusters = 10, .warmup = 9}) == "warmup");
  CHECK(field_of({.clusters = 10, .reservoir = 9}) == "reservoir");
  CHECK(field_of({.dimension = 1000, .window = 64, .warmup = 4096, .reservoir = 4096}) ==
        "reservoir");
  CHECK(field_of({.max_count = 0}) == "max_count");
  CHECK(field_of({.max_iterations = 0}) == "max_iterations");
  CHECK(field_of({.alignment = static_cast<ScoreAlignment>(7)}) == "alignment");
  CHECK(field_of({.newest_weight = -0.5}) == "newest_weight");
  CHECK(field_of({.newest_weight = 2e6}) == "newest_weight");
  CHECK(field_of({.newest_weight = std::nan("")}) == "newest_weight");
  CHECK(SubsequenceKMeans::create({.newest_weight = -0.5}).error().message() ==
        "invalid_config: newest_weight: must be in [0, 1000000] (got -0.5)");
  auto error = SubsequenceKMeans::create({.clusters = 10, .warmup = 9}).error();
  CHECK(error.message() == "invalid_config: warmup: must be in [10, 1000000000] (got 9)");
}

TEST_CASE("bad rows are error values and leave the state unchanged") {
  auto detector = make({.dimension = 2, .window = 4, .clusters = 2, .warmup = 8});
  for (int t = 0; t < 20; ++t) REQUIRE(detector.process(std::vector{1.0 * t, -1.0 * t}));
  const auto before = detector.snapshot();
  CHECK(detector.push(std::vector{1.0}).error().code == ErrorCode::dimension_mismatch);
  CHECK(detector.process(std::vector{1.0, std::nan("")}).error().code == ErrorCode::non_finite);
  CHECK(detector.push(std::vector{std::numeric_limits<double>::infinity(), 0.0}).error().code ==
        ErrorCode::non_finite);
  const auto huge = detector.push(std::vector{0.0, 1e200});
  CHECK(huge.error().code == ErrorCode::invalid_input);
  CHECK(huge.error().field == "row[1]");
  CHECK(detector.snapshot() == before);
}

TEST_CASE("nothing is learned or scored before the first window and the first fit") {
  auto detector = make({.dimension = 1, .window = 5, .clusters = 3, .warmup = 50});
  CHECK(detector.learn().error().code == ErrorCode::not_ready);
  for (int t = 0; t < 4; ++t) CHECK(*detector.process(std::vector{std::sin(t * 1.0)}) == 0.0);
  CHECK_FALSE(detector.is_full());
  // The first fit comes after 2k = 6 windows; every score before it is 0.
  for (int t = 4; t < 9; ++t) CHECK(*detector.process(std::vector{std::sin(t * 1.0)}) == 0.0);
  CHECK_FALSE(detector.is_ready());
  CHECK(*detector.process(std::vector{std::sin(9.0)}) == 0.0);  // scored, then the fit
  CHECK(detector.is_ready());
  CHECK(detector.centroids().size() == 3 * 5);
}

TEST_CASE("a constant stream scores 0 after warm-up") {
  // All channels equal: every window is flat and becomes zeros, exactly.
  auto flat = make({.dimension = 3, .window = 8, .clusters = 2, .warmup = 40});
  // One constant per channel: every window is the same non-flat shape; the fitted
  // centroid is that shape rounded to float, |z| < 3, so at most 3 * 2^-24 * sqrt(24).
  auto fixed = make({.dimension = 3, .window = 8, .clusters = 2, .warmup = 40});
  for (int t = 0; t < 300; ++t) {
    const double flat_score = *flat.process(std::vector{2.5, 2.5, 2.5});
    const double fixed_score = *fixed.process(std::vector{1.0, 5.0, -2.0});
    if (flat.warmed_up()) {
      CHECK(flat_score == 0.0);
      CHECK(fixed_score <= 1e-6);
    }
  }
  CHECK(flat.warmed_up());
}

TEST_CASE("a window identical to a centroid scores 0") {
  SubsequenceKMeansConfig config{.dimension = 2, .window = 10, .clusters = 4, .warmup = 100};
  auto detector = make(config);
  Xoshiro256 rng(3);
  for (std::size_t t = 0; t < 200; ++t) {
    REQUIRE(detector.process(periodic_row(t, 2, 17.0, 0.2, rng)));
  }
  REQUIRE(detector.score() > 0.0);
  // Plant the current window as centroid 2 and restore.
  auto snapshot = detector.snapshot();
  const auto window = detector.normalized_window();
  std::copy(window.begin(), window.end(), snapshot.centroids.begin() + 2 * 20);
  auto planted = SubsequenceKMeans::restore(snapshot);
  REQUIRE(planted);
  CHECK(planted->score() == 0.0);
  CHECK(planted->nearest() == 2);
  CHECK(planted->attribution()->total() == 0.0);
}

TEST_CASE("expected_newest maps the nearest centroid's newest row back to the window's scale") {
  SubsequenceKMeansConfig config{.dimension = 2, .window = 10, .clusters = 4, .warmup = 100};
  auto detector = make(config);
  std::array<double, 2> out{};
  CHECK(detector.expected_newest(out).error().code == ErrorCode::not_ready);
  Xoshiro256 rng(5);
  std::vector<double> last;
  for (std::size_t t = 0; t < 200; ++t) {
    last = periodic_row(t, 2, 17.0, 0.2, rng);
    REQUIRE(detector.process(last));
  }
  // A centroid equal to the current window gives back the newest row itself.
  auto snapshot = detector.snapshot();
  const auto window = detector.normalized_window();
  std::copy(window.begin(), window.end(), snapshot.centroids.begin() + 1 * 20);
  auto planted = SubsequenceKMeans::restore(snapshot);
  REQUIRE(planted);
  REQUIRE(planted->nearest() == 1);
  REQUIRE(planted->expected_newest(out));
  CHECK(out[0] == doctest::Approx(last[0]).epsilon(1e-12));
  CHECK(out[1] == doctest::Approx(last[1]).epsilon(1e-12));
  // Centroids of zeros (a flat shape) expect the window's mean in every channel.
  const double mean = std::accumulate(snapshot.recent.begin(), snapshot.recent.end(), 0.0) /
                      static_cast<double>(snapshot.recent.size());
  std::fill(snapshot.centroids.begin(), snapshot.centroids.end(), 0.0);
  auto zero = SubsequenceKMeans::restore(snapshot);
  REQUIRE(zero);
  REQUIRE(zero->expected_newest(out));
  CHECK(out[0] == doctest::Approx(mean).epsilon(1e-12));
  CHECK(out[1] == doctest::Approx(mean).epsilon(1e-12));
  std::array<double, 3> wrong{};
  CHECK(zero->expected_newest(wrong).error().code == ErrorCode::dimension_mismatch);
}

TEST_CASE("normalisation is one mean and one deviation over the whole window, and invariant "
          "to its scale and offset") {
  SubsequenceKMeansConfig config{.dimension = 3, .window = 12, .clusters = 3, .warmup = 60,
                                 .seed = 9};
  auto plain = make(config);
  auto scaled = make(config);
  Xoshiro256 rng(5);
  std::vector<double> history;
  for (std::size_t t = 0; t < 400; ++t) {
    const auto row = periodic_row(t, 3, 23.0, 0.3, rng);
    std::vector<double> moved;
    for (const double v : row) moved.push_back(1e3 * v - 7e4);
    history.insert(history.end(), row.begin(), row.end());
    const double a = *plain.process(row);
    const double b = *scaled.process(moved);
    if (!plain.is_full()) continue;
    const std::vector<double> window(history.end() - 36, history.end());
    const auto expected = z_normalise(window);
    const auto got = plain.normalized_window();
    const auto got_scaled = scaled.normalized_window();
    for (std::size_t i = 0; i < 36; ++i) {
      REQUIRE(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
      // 1e-12: the offset 7e4 against variations of 1e3 costs about 7e4 / 1e3 * 2^-52
      // of relative precision in the deviations.
      REQUIRE(std::abs(got_scaled[i] - got[i]) <= 1e-10);
    }
    // The float reservoir can round the two differently by one float ulp (6e-8).
    CHECK(b == doctest::Approx(a).epsilon(1e-6));
  }
}

TEST_CASE("k-means on rising and falling two-point windows matches the hand computation") {
  // W = 2, one channel: a window (a, b) with a < b normalises to R = (-1/sqrt2, 1/sqrt2),
  // with a > b to F = -R, and a flat one to (0, 0). |R| = |F| = 1, |R - F| = 2.
  SUBCASE("one centroid: the mean of R and F is the origin, then running means") {
    auto detector = make({.dimension = 1, .window = 2, .clusters = 1, .warmup = 100, .newest_weight = 0});
    // Rows 0, 1, 0, 1, ...: 100 windows alternate R, F, R, ... (50 each).
    for (int t = 0; t < 101; ++t) REQUIRE(detector.process(std::vector{t % 2 * 1.0}));
    REQUIRE(detector.warmed_up());
    CHECK(detector.centroids()[0] == 0.0);
    CHECK(detector.centroids()[1] == 0.0);
    CHECK(detector.counts()[0] == 100);
    // Window 101 is R ((0, 1)): distance 1 from the origin; the centroid moves to R / 101.
    CHECK(*detector.process(std::vector{1.0}) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(detector.counts()[0] == 101);
    // Window 102 is F = -R: distance |F - R / 101| = 1 + 1 / 101.
    CHECK(*detector.process(std::vector{0.0}) == doctest::Approx(1.0 + 1.0 / 101).epsilon(1e-12));
  }
  SUBCASE("one centroid, the newest row weighted: R is sqrt(1 + w / 2) from the origin") {
    // R's newest value is 1/sqrt2, so the weighted square is 1/2 + 1/2 + w * 1/2.
    for (const double w : {0.0, 1.0, 4.0, 10.0}) {
      CAPTURE(w);
      auto detector = make({.dimension = 1, .window = 2, .clusters = 1, .warmup = 100, .newest_weight = w});
      for (int t = 0; t < 101; ++t) REQUIRE(detector.process(std::vector{t % 2 * 1.0}));
      REQUIRE(detector.centroids()[1] == 0.0);
      CHECK(*detector.process(std::vector{1.0}) == doctest::Approx(std::sqrt(1.0 + w / 2)).epsilon(1e-12));
      // The update is the plain one: the centroid moved to R / 101 whatever the weight.
      CHECK(detector.centroids()[1] == doctest::Approx(1.0 / std::sqrt(2.0) / 101).epsilon(1e-12));
    }
  }
  SUBCASE("two centroids land on R and F, a flat window is 1 away") {
    auto detector = make({.dimension = 1, .window = 2, .clusters = 2, .warmup = 100, .newest_weight = 0});
    for (int t = 0; t < 101; ++t) REQUIRE(detector.process(std::vector{t % 2 * 1.0}));
    const auto c = detector.centroids();
    const double r = 1.0 / std::sqrt(2.0);
    const double first = c[0] < 0 ? -r : r;
    CHECK(c[0] == doctest::Approx(first).epsilon(1e-7));
    CHECK(c[1] == doctest::Approx(-first).epsilon(1e-7));
    CHECK(c[2] == doctest::Approx(-first).epsilon(1e-7));
    CHECK(c[3] == doctest::Approx(first).epsilon(1e-7));
    CHECK(detector.counts()[0] == 50);
    CHECK(detector.counts()[1] == 50);
    CHECK(*detector.process(std::vector{1.0}) <= 1e-7);                             // R
    CHECK(*detector.process(std::vector{1.0}) == doctest::Approx(1.0).epsilon(1e-7));  // flat
  }
}

TEST_CASE("an injected shape anomaly scores above every normal window of a periodic signal") {
  const std::size_t d = 3;
  SubsequenceKMeansConfig config{.dimension = d, .window = 40, .clusters = 10, .warmup = 500,
                                 .seed = 1};
  auto detector = make(config);
  Xoshiro256 rng(11);
  const std::size_t start = 2000;
  const std::size_t length = 15;
  double normal_max = 0.0;
  double anomaly_max = 0.0;
  std::size_t top_feature = d;
  for (std::size_t t = 0; t < 3000; ++t) {
    auto row = periodic_row(t, d, 25.0, 0.1, rng);
    // Channel 1 goes flat at its level for `length` rows: a shape, not a level, anomaly.
    const bool inside = t >= start && t < start + length;
    if (inside) row[1] = 2.0 * std::sin(2.0 * std::numbers::pi * (start + 3.0) / 25.0);
    const double score = *detector.process(row);
    if (!detector.warmed_up()) continue;
    const bool covers = t >= start && t < start + length + config.window - 1;
    if (covers) {
      if (score > anomaly_max) {
        anomaly_max = score;
        top_feature = detector.attribution()->by_feature.top_dimension();
      }
    } else {
      normal_max = std::max(normal_max, score);
    }
  }
  // Measured 5.82 against a normal maximum of 4.06 (5.39 against 3.99 unweighted).
  CHECK(anomaly_max > 1.25 * normal_max);
  CHECK(top_feature == 1);
}

TEST_CASE("the score is the distance with the newest row counted 1 + newest_weight times") {
  const std::size_t d = 3, w = 7;
  for (const double weight : {0.0, 0.5, 4.0, 40.0}) {
    CAPTURE(weight);
    auto detector = make({.dimension = d, .window = w, .clusters = 3, .warmup = 60, .newest_weight = weight});
    Xoshiro256 rng(9);
    std::size_t checked = 0;
    for (std::size_t t = 0; t < 150; ++t) {
      REQUIRE(detector.push(periodic_row(t, d, 10.0, 0.4, rng)));
      if (!detector.is_full()) continue;
      // Scored against the centroids before this window is learned.
      if (detector.is_ready()) {
        const auto x = detector.normalized_window();
        const auto centroids = detector.centroids();
        // The nearest centroid is the plain distance's, written out here.
        std::size_t nearest = 0;
        double best = std::numeric_limits<double>::infinity();
        double best_newest = 0.0;
        for (std::size_t c = 0; c < 3; ++c) {
          double plain = 0.0, newest = 0.0;
          for (std::size_t i = 0; i < d * w; ++i) {
            const double diff = x[i] - centroids[c * d * w + i];
            plain += diff * diff;
            if (i >= (w - 1) * d) newest += diff * diff;
          }
          if (plain < best) {
            best = plain;
            best_newest = newest;
            nearest = c;
          }
        }
        CHECK(detector.nearest() == nearest);
        CHECK(detector.score() == doctest::Approx(std::sqrt(best + weight * best_newest)).epsilon(1e-12));
        ++checked;
      }
      REQUIRE(detector.learn());
    }
    CHECK(checked == 150 - (w - 1) - 6);  // every window after the first fit (2k = 6 windows)
  }
}

TEST_CASE("attribution splits the score by lag and feature and sums to it") {
  auto detector = make({.dimension = 2, .window = 6, .clusters = 2, .warmup = 30});
  Xoshiro256 rng(2);
  for (std::size_t t = 0; t < 80; ++t) REQUIRE(detector.process(periodic_row(t, 2, 9.0, 0.5, rng)));
  REQUIRE(detector.push(std::vector{5.0, -5.0}));
  const auto attribution = detector.attribution();
  REQUIRE(attribution);
  CHECK(attribution->by_lag.size() == 6);
  CHECK(attribution->total() == doctest::Approx(detector.score()).epsilon(1e-12));
  double by_lag = 0.0;
  for (std::size_t k = 0; k < 6; ++k) by_lag += attribution->lag_total(k);
  CHECK(by_lag == doctest::Approx(detector.score()).epsilon(1e-12));
  CHECK(attribution->top_lag() == 0);  // the newest row broke the shape
  // The newest row's share carries its weight, 1 + 4 by default.
  const auto x = detector.normalized_window();
  const auto centre = detector.centroids().subspan(detector.nearest() * 12, 12);
  double newest = 0.0;
  for (std::size_t i = 10; i < 12; ++i) newest += (x[i] - centre[i]) * (x[i] - centre[i]);
  CHECK(attribution->lag_total(0) ==
        doctest::Approx((1.0 + SubsequenceKMeansConfig{}.newest_weight) * newest / detector.score()).epsilon(1e-12));
}

TEST_CASE("lagged alignment reports the mean of the covering windows seen, W/2 rows late") {
  SubsequenceKMeansConfig config{.dimension = 2, .window = 10, .clusters = 3, .warmup = 50};
  auto newest = make(config);
  config.alignment = ScoreAlignment::lagged;
  auto lagged = make(config);
  CHECK(lagged.lag() == 5);
  Xoshiro256 rng(4);
  std::vector<double> window_scores;
  for (std::size_t t = 0; t < 300; ++t) {
    const auto row = periodic_row(t, 2, 13.0, 0.4, rng);
    window_scores.push_back(*newest.process(row));
    const double got = *lagged.process(row);
    if (t < 5) {
      CHECK(got == 0.0);
      continue;
    }
    double expected = 0.0;
    for (std::size_t e = t - 5; e <= t; ++e) expected += window_scores[e];
    CHECK(got == doctest::Approx(expected / 6.0).epsilon(1e-12));
  }
}

TEST_CASE("snapshot then restore continues bit for bit") {
  for (const auto alignment : {ScoreAlignment::newest, ScoreAlignment::lagged}) {
    for (const std::size_t cut : {std::size_t{3}, std::size_t{150}, std::size_t{700}}) {
      CAPTURE(cut);
      SubsequenceKMeansConfig config{.dimension = 3, .window = 8, .clusters = 4, .warmup = 400,
                                     .reservoir = 100, .max_count = 50, .alignment = alignment,
                                     .newest_weight = 2.5, .seed = 77};
      auto original = make(config);
      Xoshiro256 rng(8);
      std::vector<std::vector<double>> rows;
      for (std::size_t t = 0; t < 1200; ++t) rows.push_back(periodic_row(t, 3, 11.0, 0.6, rng));
      for (std::size_t t = 0; t < cut; ++t) REQUIRE(original.process(rows[t]));
      auto restored = SubsequenceKMeans::restore(original.snapshot());
      REQUIRE(restored);
      CHECK(restored->snapshot() == original.snapshot());
      for (std::size_t t = cut; t < rows.size(); ++t) {
        const double a = *original.process(rows[t]);
        const double b = *restored->process(rows[t]);
        REQUIRE(a == b);
      }
      CHECK(restored->snapshot() == original.snapshot());
    }
  }
}

TEST_CASE("restore rejects snapshots that break their invariants") {
  auto detector = make({.dimension = 2, .window = 4, .clusters = 2, .warmup = 40, .seed = 5});
  Xoshiro256 rng(6);
  for (std::size_t t = 0; t < 30; ++t) REQUIRE(detector.process(periodic_row(t, 2, 7.0, 0.3, rng)));
  const auto good = detector.snapshot();
  REQUIRE(SubsequenceKMeans::restore(good));
  const auto field_of = [](const SubsequenceKMeansSnapshot& snapshot) {
    auto restored = SubsequenceKMeans::restore(snapshot);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
    return restored.error().field;
  };
  auto s = good;
  s.config.clusters = 0;
  CHECK(field_of(s) == "config.clusters");
  s = good;
  s.config.newest_weight = -1.0;
  CHECK(field_of(s) == "config.newest_weight");
  s = good;
  s.recent.pop_back();
  CHECK(field_of(s) == "recent");
  s = good;
  s.recent[0] = std::nan("");
  CHECK(field_of(s) == "recent[0]");
  s = good;
  s.windows_learned = s.rows_seen;
  CHECK(field_of(s) == "windows_learned");
  s = good;
  s.centroids.clear();
  CHECK(field_of(s) == "centroids");
  s = good;
  s.centroids[1] = std::numeric_limits<double>::infinity();
  CHECK(field_of(s) == "centroids");
  s = good;
  s.counts[0] = 0;
  CHECK(field_of(s) == "counts");
  s = good;
  s.reservoir.resize(s.reservoir.size() - 1);
  CHECK(field_of(s) == "reservoir");
  s = good;
  s.rng = {};
  CHECK(field_of(s) == "rng");
}

TEST_CASE("memory stays within the documented bound and drops after warm-up") {
  for (const std::size_t d : {std::size_t{1}, std::size_t{25}}) {
    SubsequenceKMeansConfig config{.dimension = d, .window = 40, .clusters = 10, .warmup = 300,
                                   .reservoir = 200};
    auto detector = make(config);
    const std::size_t n = d * 40;
    const std::size_t kept = 200;
    const std::size_t steady = 16 * n + 8 * n + 8 * 10 * n + 8 * 10 + 8 * 21;
    const std::size_t warm = steady + 4 * n * kept + 8 * 10 * n + 8 * 10 + 12 * kept;
    const std::size_t fixed = sizeof(SubsequenceKMeans);
    CHECK(detector.memory_bytes() <= warm + fixed);
    CHECK(detector.memory_bytes() >= warm);
    Xoshiro256 rng(1);
    for (std::size_t t = 0; t < 400; ++t) REQUIRE(detector.process(periodic_row(t, d, 30.0, 0.5, rng)));
    CHECK(detector.warmed_up());
    CHECK(detector.memory_bytes() <= steady + fixed);
  }
}

TEST_CASE("after warm-up a row is scored and learned without allocating") {
  auto detector = make({.dimension = 4, .window = 16, .clusters = 5, .warmup = 100});
  Xoshiro256 rng(12);
  std::vector<std::vector<double>> rows;
  for (std::size_t t = 0; t < 400; ++t) rows.push_back(periodic_row(t, 4, 19.0, 0.5, rng));
  for (std::size_t t = 0; t < 200; ++t) REQUIRE(detector.process(rows[t]));
  const std::size_t before = anomstream::sketch::test::allocation_count();
  for (std::size_t t = 200; t < 400; ++t) REQUIRE(detector.process(rows[t]));
  CHECK(anomstream::sketch::test::allocation_count() == before);
}

TEST_CASE("the same seed gives the same scores, another seed other centroids") {
  SubsequenceKMeansConfig config{.dimension = 2, .window = 8, .clusters = 6, .warmup = 200,
                                 .seed = 1};
  auto a = make(config);
  auto b = make(config);
  config.seed = 2;
  auto c = make(config);
  Xoshiro256 rng(9);
  for (std::size_t t = 0; t < 300; ++t) {
    const auto row = periodic_row(t, 2, 29.0, 0.8, rng);
    REQUIRE(*a.process(row) == *b.process(row));
    REQUIRE(c.process(row));
  }
  CHECK(a.snapshot() == b.snapshot());
  CHECK(a.snapshot().centroids != c.snapshot().centroids);
}
