#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/dynamic_forest.hpp"

using anomstream::ErrorCode;
using anomstream::forest::AnomalyDescriptor;
using anomstream::forest::DynamicForest;
using anomstream::forest::DynamicForestConfig;
using anomstream::forest::ThresholdedForest;

namespace {

DynamicForestConfig small_config(std::uint64_t seed) {
  DynamicForestConfig c;
  c.forest.forest.num_trees = 50;
  c.forest.forest.sample_size = 64;
  c.forest.forest.seed = seed;
  c.forest.forest.time_decay = 0.1 / 64;
  c.forest.forest.output_after = 17;
  c.forest.threshold.warmup = 32;
  return c;
}

// Sinusoids plus noise in every feature, +6 on feature 0 every 97th point.
struct Stream {
  explicit Stream(std::size_t d) : point(d) {}
  anomstream::Xoshiro256 rng{21};
  std::size_t t = 0;
  std::vector<double> point;
  const std::vector<double>& next() {
    for (std::size_t j = 0; j < point.size(); ++j) {
      point[j] =
          std::sin(2 * std::numbers::pi * static_cast<double>(t) / 40.0 + static_cast<double>(j)) +
          0.1 * (rng.uniform01() - 0.5);
    }
    if (t % 97 == 96) point[0] += 6.0;
    ++t;
    return point;
  }
};

}  // namespace

TEST_CASE("dynamic forest: the first point fixes the dimension; other widths are then rejected") {
  auto forest = DynamicForest<8>::create(small_config(1));
  REQUIRE(forest);
  CHECK(!forest->is_configured());
  CHECK(forest->dimension() == 0);
  CHECK(forest->forest() == nullptr);
  auto first = forest->process(std::vector<double>{1.0, 2.0, 3.0});
  REQUIRE(first);
  CHECK(forest->is_configured());
  CHECK(forest->dimension() == 3);
  REQUIRE(forest->forest() != nullptr);
  CHECK(forest->forest()->forest().dimension() == 3);
  CHECK(forest->forest()->forest().entries_seen() == 1);

  const auto before = forest->snapshot();
  auto wrong = forest->process(std::vector<double>{1.0, 2.0});
  REQUIRE(!wrong);
  CHECK(wrong.error().code == ErrorCode::dimension_mismatch);
  CHECK(forest->dimension() == 3);
  CHECK(forest->forest()->forest().entries_seen() == 1);
  CHECK(forest->snapshot().forest->forest == before.forest->forest);
}

TEST_CASE("dynamic forest: a rejected first point does not fix the dimension") {
  auto forest = DynamicForest<8>::create(small_config(2));
  REQUIRE(forest);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(forest->process(std::vector<double>{}).error().code == ErrorCode::dimension_mismatch);
  CHECK(forest->process(std::vector<double>(9, 0.0)).error().code == ErrorCode::dimension_mismatch);
  CHECK(forest->process(std::vector<double>{0.0, nan}).error().code == ErrorCode::non_finite);
  CHECK(forest->process(std::vector<double>{0.0, 1e300}).error().code == ErrorCode::invalid_input);
  CHECK(!forest->is_configured());
  CHECK(forest->memory_bytes() < 2048);
  REQUIRE(forest->process(std::vector<double>(8, 0.0)));  // the maximum itself is accepted
  CHECK(forest->dimension() == 8);
}

TEST_CASE("dynamic forest: set_dimension fixes it once; the same value again is a no-op") {
  auto forest = DynamicForest<>::create(small_config(3));
  REQUIRE(forest);
  CHECK(forest->max_dimension() == anomstream::forest::MAX_DIMENSION);
  CHECK(forest->set_dimension(0).error().code == ErrorCode::invalid_config);
  REQUIRE(forest->set_dimension(5));
  CHECK(forest->dimension() == 5);
  CHECK(forest->set_dimension(5));
  CHECK(forest->set_dimension(4).error().code == ErrorCode::incompatible);
  CHECK(forest->process(std::vector<double>(4, 0.0)).error().code == ErrorCode::dimension_mismatch);
}

TEST_CASE("dynamic forest: create validates the whole template up front, naming the field") {
  auto c = small_config(4);
  c.forest.forest.num_trees = 10;
  CHECK(DynamicForest<8>::create(c).error().field == "forest.forest.num_trees");
  c = small_config(4);
  c.forest.threshold.z_factor = 0.1;
  CHECK(DynamicForest<8>::create(c).error().field == "forest.threshold.z_factor");
  c = small_config(4);
  c.max_dimension = 0;
  CHECK(DynamicForest<>::create(c).error().field == "max_dimension");
  c = small_config(4);
  c.forest.forest.dimension = 9;
  CHECK(DynamicForest<8>::create(c).error().field == "forest.forest.dimension");
  c.forest.forest.dimension = 6;  // fixed up front: configured at creation
  auto fixed = DynamicForest<8>::create(c);
  REQUIRE(fixed);
  CHECK(fixed->dimension() == 6);
}

TEST_CASE(
    "dynamic forest: once configured it is exactly the thresholded forest of that dimension") {
  constexpr std::size_t D = 3;
  const auto config = small_config(5);
  auto dynamic = DynamicForest<16>::create(config);
  REQUIRE(dynamic);
  auto direct_config = config.forest;
  direct_config.forest.dimension = D;
  auto direct = ThresholdedForest::create(direct_config);
  REQUIRE(direct);
  Stream stream(D);
  AnomalyDescriptor a, b;
  int anomalies = 0;
  for (int i = 0; i < 1500; ++i) {
    const auto& p = stream.next();
    REQUIRE(dynamic->process(p, true, a));
    REQUIRE(direct->process(p, true, b));
    CHECK(a.score == b.score);
    CHECK(a.grade == b.grade);
    CHECK(a.attribution == b.attribution);
    if (a.anomalous) ++anomalies;
  }
  // The injected +6 spikes (15 of them) are graded, so the comparison covered grades
  // and attributions too, not only zeros.
  CHECK(anomalies >= 10);
}

TEST_CASE("dynamic forest: the snapshot carries the learned dimension and continues bit-for-bit") {
  const auto config = small_config(6);
  SUBCASE("unconfigured") {
    auto forest = DynamicForest<8>::create(config);
    REQUIRE(forest);
    const auto snapshot = forest->snapshot();
    CHECK(!snapshot.forest);
    auto restored = DynamicForest<8>::restore(snapshot);
    REQUIRE(restored);
    CHECK(!restored->is_configured());
    REQUIRE(restored->process(std::vector<double>{1.0, 2.0}));
    CHECK(restored->dimension() == 2);
  }
  SUBCASE("configured") {
    auto forest = DynamicForest<8>::create(config);
    REQUIRE(forest);
    Stream stream(4);
    for (int i = 0; i < 300; ++i) REQUIRE(forest->process(stream.next()));
    const auto snapshot = forest->snapshot();
    REQUIRE(snapshot.forest);
    CHECK(snapshot.forest->forest.config.dimension == 4);
    CHECK(snapshot.config.forest.forest.dimension == 0);
    auto restored = DynamicForest<8>::restore(snapshot);
    REQUIRE(restored);
    CHECK(restored->dimension() == 4);
    for (int i = 0; i < 300; ++i) {
      const auto& p = stream.next();
      auto a = forest->process(p, i % 4 != 0);
      auto b = restored->process(p, i % 4 != 0);
      REQUIRE(a);
      REQUIRE(b);
      CHECK(a->score == b->score);
      CHECK(a->grade == b->grade);
    }
    CHECK(restored->snapshot().forest->forest == forest->snapshot().forest->forest);
    CHECK(restored->snapshot().forest->threshold == forest->snapshot().forest->threshold);
  }
}

TEST_CASE("dynamic forest: restore rejects snapshots that break its invariants") {
  auto forest = DynamicForest<8>::create(small_config(7));
  REQUIRE(forest);
  Stream stream(4);
  for (int i = 0; i < 50; ++i) REQUIRE(forest->process(stream.next()));
  const auto good = forest->snapshot();
  REQUIRE(DynamicForest<8>::restore(good));

  CHECK(DynamicForest<4>::restore(good).error().code == ErrorCode::incompatible);
  auto bad = good;
  bad.forest->forest.config.num_trees = 60;  // no longer the template's forest
  CHECK(DynamicForest<8>::restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.forest->threshold.config.z_factor = 4.0;
  CHECK(DynamicForest<8>::restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.config.forest.forest.dimension = 5;  // fixed at 5 but the forest has 4
  CHECK(DynamicForest<8>::restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.config.forest.forest.dimension = 4;
  bad.forest.reset();  // fixed dimension without a forest
  CHECK(DynamicForest<8>::restore(bad).error().code == ErrorCode::corrupt_snapshot);
}

TEST_CASE("dynamic forest: memory is small until configured, then the forest's") {
  auto forest = DynamicForest<8>::create(small_config(8));
  REQUIRE(forest);
  const std::size_t empty = forest->memory_bytes();
  CHECK(empty < 2048);
  REQUIRE(forest->set_dimension(8));
  CHECK(forest->memory_bytes() >= forest->forest()->memory_bytes());
  CHECK(forest->memory_bytes() <= forest->forest()->memory_bytes() + empty);
}
