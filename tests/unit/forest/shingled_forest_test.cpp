#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/shingled_forest.hpp"

using anomstream::ErrorCode;
using anomstream::forest::LagAttribution;
using anomstream::forest::ShingledForest;
using anomstream::forest::ShingledForestConfig;

namespace {

ShingledForestConfig small_config(std::size_t d, std::size_t s, std::uint64_t seed) {
  ShingledForestConfig c;
  c.input_dimension = d;
  c.shingle_size = s;
  c.forest.num_trees = 50;
  c.forest.sample_size = 128;
  c.forest.seed = seed;
  c.forest.time_decay = 0.1 / 128;
  c.forest.output_after = 33;
  return c;
}

double gaussian(anomstream::Xoshiro256& rng) {
  const double u1 = std::max(rng.uniform01(), 1e-300);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * rng.uniform01());
}

// sin(2 pi t / PERIOD) plus N(0, 0.05^2) noise.
constexpr double PERIOD = 24.0;
double sine(std::size_t t, anomstream::Xoshiro256& rng) {
  return std::sin(2 * std::numbers::pi * static_cast<double>(t) / PERIOD) + 0.05 * gaussian(rng);
}

}  // namespace

TEST_CASE("shingled forest: create names the field out of bounds") {
  auto c = small_config(1, 8, 1);
  c.input_dimension = 0;
  CHECK(ShingledForest::create(c).error().field == "input_dimension");
  c = small_config(100, 101, 1);  // 100 * 101 > 10000 values per shingle
  auto e = ShingledForest::create(c);
  REQUIRE(!e);
  CHECK(e.error().code == ErrorCode::invalid_config);
  CHECK(e.error().field == "shingle_size");
  CHECK(ShingledForest::create(small_config(100, 100, 1)));
  c = small_config(2, 0, 1);
  CHECK(ShingledForest::create(c).error().field == "shingle_size");
  c = small_config(2, 4, 1);
  c.forest.dimension = 7;
  CHECK(ShingledForest::create(c).error().field == "forest.dimension");
  c.forest.dimension = 8;
  CHECK(ShingledForest::create(c));
  c.forest.num_trees = 10;
  CHECK(ShingledForest::create(c).error().field == "forest.num_trees");
}

TEST_CASE(
    "shingled forest: the shingle is the last s inputs oldest first, and nothing is "
    "scored or learned until it is full") {
  auto forest = ShingledForest::create(small_config(2, 3, 2));
  REQUIRE(forest);
  CHECK(forest->forest().dimension() == 6);
  for (int t = 1; t <= 7; ++t) {
    const std::vector<double> input{static_cast<double>(t), -static_cast<double>(t)};
    auto score = forest->process(input);
    REQUIRE(score);
    if (t < 3) {
      CHECK(forest->shingle().empty());
      CHECK(*score == 0.0);
      CHECK(forest->forest().entries_seen() == 0);
    } else {
      const double a = t - 2.0, b = t - 1.0, c = t;
      const std::vector<double> expected{a, -a, b, -b, c, -c};
      CHECK(std::vector<double>(forest->shingle().begin(), forest->shingle().end()) == expected);
      CHECK(forest->forest().entries_seen() == static_cast<std::uint64_t>(t - 2));
    }
  }
  CHECK(forest->inputs_seen() == 7);
}

TEST_CASE("shingled forest: a rejected input leaves the shingle and the forest unchanged") {
  auto forest = ShingledForest::create(small_config(2, 3, 3));
  REQUIRE(forest);
  for (int t = 0; t < 5; ++t) REQUIRE(forest->process(std::vector<double>{1.0 * t, 2.0 * t}));
  const auto before = forest->snapshot();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(forest->process(std::vector<double>{1.0}).error().code == ErrorCode::dimension_mismatch);
  CHECK(forest->process(std::vector<double>{1.0, nan}).error().code == ErrorCode::non_finite);
  CHECK(forest->push(std::vector<double>{1e300, 0.0}).error().code == ErrorCode::invalid_input);
  CHECK(forest->snapshot() == before);
  CHECK(forest->learn());
  auto empty = ShingledForest::create(small_config(2, 3, 3));
  REQUIRE(empty);
  CHECK(empty->learn().error().code == ErrorCode::not_ready);
}

TEST_CASE(
    "shingled forest: a level shift in a sine wave is flagged and attributed to the "
    "most recent lag") {
  auto forest = ShingledForest::create(small_config(1, 8, 4));
  REQUIRE(forest);
  anomstream::Xoshiro256 rng(40);
  double max_normal = 0;
  std::size_t t = 0;
  for (; t < 2000; ++t) {
    auto score = forest->process(std::vector<double>{sine(t, rng)});
    REQUIRE(score);
    if (t >= 1500) max_normal = std::max(max_normal, *score);
  }
  // The level moves up by 2 (the sine's amplitude is 1): only the newest input of the
  // shingle has moved, so the attribution must sit on lag 0.
  REQUIRE(forest->push(std::vector<double>{sine(t, rng) + 2.0}));
  auto score = forest->score();
  auto attribution = forest->attribution();
  REQUIRE(score);
  REQUIRE(attribution);
  MESSAGE("max normal score ", max_normal, ", shifted ", *score, ", lag 0 share ",
          attribution->lag_total(0) / attribution->total());
  CHECK(*score > 1.5 * max_normal);
  CHECK(attribution->top_lag() == 0);
  CHECK(attribution->lag_total(0) > 0.5 * attribution->total());
  // Folding keeps the total: lags, features and the score agree (to the forest's own
  // attribution-vs-score rounding, far below 1e-6).
  double lags = 0;
  for (std::size_t k = 0; k < 8; ++k) lags += attribution->lag_total(k);
  CHECK(lags == doctest::Approx(*score).epsilon(1e-6));
  CHECK(attribution->total() == doctest::Approx(*score).epsilon(1e-6));
}

TEST_CASE(
    "shingled forest: a period-breaking glitch scores above every normal cycle, which "
    "a forest of single values cannot see") {
  // The glitch turns the crest of one cycle into a trough for 4 steps (the signal reads
  // -0.87, -0.97, -1, -0.97 where +0.87 ... +1 is due): every value is one the signal
  // takes twice a period, only its phase is wrong.
  auto run = [](std::size_t shingle_size) {
    auto forest = ShingledForest::create(small_config(1, shingle_size, 5));
    REQUIRE(forest);
    anomstream::Xoshiro256 rng(50);
    double max_normal = 0, max_glitch = 0;
    for (std::size_t t = 0; t < 3000; ++t) {
      const bool glitch = t >= 2404 && t < 2408;  // 2400 = 100 periods: a cycle start
      const double x = glitch ? -sine(t, rng) : sine(t, rng);
      auto score = forest->process(std::vector<double>{x});
      REQUIRE(score);
      if (t >= 1200 && t < 2400) max_normal = std::max(max_normal, *score);
      if (t >= 2404 && t < 2408 + shingle_size) max_glitch = std::max(max_glitch, *score);
    }
    return std::pair{max_normal, max_glitch};
  };
  const auto [normal8, glitch8] = run(8);
  const auto [normal1, glitch1] = run(1);
  MESSAGE("shingle 8: normal max ", normal8, " glitch ", glitch8, "; shingle 1: normal max ",
          normal1, " glitch ", glitch1);
  // Margins: the shingled glitch scores about 1.6x the largest of 1200 normal scores,
  // while unshingled the glitch values are ordinary (below the normal maximum).
  CHECK(glitch8 > 1.3 * normal8);
  CHECK(glitch1 < normal1);
}

TEST_CASE("shingled forest: attribution splits lags and features of a two-feature input") {
  auto forest = ShingledForest::create(small_config(2, 4, 6));
  REQUIRE(forest);
  anomstream::Xoshiro256 rng(60);
  for (std::size_t t = 0; t < 1000; ++t) {
    REQUIRE(forest->process(std::vector<double>{sine(t, rng), 0.5 * gaussian(rng)}));
  }
  // Feature 1 (noise) jumps by 10 sd on the newest input: lag 0, feature 1.
  REQUIRE(forest->push(std::vector<double>{sine(1000, rng), 5.0}));
  auto a = forest->attribution();
  REQUIRE(a);
  REQUIRE(a->by_lag.size() == 4);
  REQUIRE(a->by_feature.dimension() == 2);
  CHECK(a->top_lag() == 0);
  CHECK(a->by_lag[0].top_dimension() == 1);
  CHECK(a->by_feature.top_dimension() == 1);
  CHECK(a->by_lag[0].high[1] > a->by_lag[0].low[1]);  // the value is unusually high
  double by_feature_sum = 0;
  for (std::size_t k = 0; k < 4; ++k) by_feature_sum += a->by_lag[k].high[1] + a->by_lag[k].low[1];
  CHECK(by_feature_sum == doctest::Approx(a->by_feature.high_low_sum(1)).epsilon(1e-12));
}

TEST_CASE("shingled forest: a restored forest continues bit-for-bit, also mid-fill") {
  for (const std::size_t cut : {std::size_t{2}, std::size_t{400}}) {
    auto forest = ShingledForest::create(small_config(2, 5, 7));
    REQUIRE(forest);
    anomstream::Xoshiro256 rng(70);
    std::size_t t = 0;
    for (; t < cut; ++t) REQUIRE(forest->process(std::vector<double>{sine(t, rng), gaussian(rng)}));
    const auto snapshot = forest->snapshot();
    CHECK(snapshot.recent.size() == std::min<std::size_t>(cut, 5) * 2);
    auto restored = ShingledForest::restore(snapshot);
    REQUIRE(restored);
    CHECK(restored->snapshot() == snapshot);
    for (; t < cut + 300; ++t) {
      const std::vector<double> input{sine(t, rng), gaussian(rng)};
      auto a = forest->process(input, t % 3 != 0);
      auto b = restored->process(input, t % 3 != 0);
      REQUIRE(a);
      REQUIRE(b);
      CHECK(*a == *b);
    }
    CHECK(restored->snapshot() == forest->snapshot());
  }
}

TEST_CASE("shingled forest: restore rejects a snapshot that breaks its invariants") {
  auto forest = ShingledForest::create(small_config(2, 3, 8));
  REQUIRE(forest);
  for (int t = 0; t < 10; ++t) REQUIRE(forest->process(std::vector<double>{1.0 * t, 0.5}));
  const auto good = forest->snapshot();
  REQUIRE(ShingledForest::restore(good));

  auto bad = good;
  bad.recent.pop_back();
  CHECK(ShingledForest::restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.recent[0] = std::numeric_limits<double>::infinity();
  CHECK(ShingledForest::restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.config.shingle_size = 2;  // forest dimension 6 no longer matches 2 * 2
  CHECK(!ShingledForest::restore(bad));
  bad = good;
  bad.config.forest.seed += 1;
  CHECK(ShingledForest::restore(bad).error().code == ErrorCode::corrupt_snapshot);
}

TEST_CASE("shingled forest: memory is the forest's plus the ring buffer") {
  auto forest = ShingledForest::create(small_config(3, 4, 9));
  REQUIRE(forest);
  CHECK(forest->memory_bytes() >= forest->forest().memory_bytes() + 2 * 3 * 4 * sizeof(double));
  CHECK(forest->memory_bytes() <
        forest->forest().memory_bytes() + 2 * 3 * 4 * sizeof(double) + 256);
}
