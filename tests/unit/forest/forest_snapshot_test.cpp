#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "anomstream/forest.hpp"
#include "anomstream/hotpath/thread_pool.hpp"
#include "forest_test_support.hpp"

using anomstream::ErrorCode;
using anomstream::ForestSnapshot;
using anomstream::RandomCutForest;
using anomstream::test::make_stream;
using anomstream::test::small_forest;

namespace {

RandomCutForest warm_forest(std::size_t dimension, std::size_t rows, bool duplicates = false) {
  auto forest = small_forest(dimension, 12).build();
  REQUIRE(forest);
  auto stream = make_stream(dimension, rows, 9);
  if (duplicates) {
    for (auto& v : stream.values) {
      v = std::round(v * 2.0) / 2.0;
    }
  }
  for (std::size_t t = 0; t < rows; ++t) {
    REQUIRE(forest->update(stream.row(t)));
  }
  return std::move(*forest);
}

}  // namespace

TEST_CASE("a restored forest continues bit for bit") {
  for (const bool duplicates : {false, true}) {
    CAPTURE(duplicates);
    RandomCutForest original = warm_forest(5, 3000, duplicates);
    const ForestSnapshot snap = original.snapshot();
    auto restored = RandomCutForest::restore(snap);
    REQUIRE(restored);
    CHECK(restored->validate());
    CHECK(restored->snapshot() == snap);
    CHECK(restored->entries_seen() == original.entries_seen());
    const auto stream = make_stream(5, 3000, 10);
    for (std::size_t t = 0; t < stream.rows(); ++t) {
      auto a = original.score_and_update(stream.row(t));
      auto b = restored->score_and_update(stream.row(t));
      REQUIRE(a);
      REQUIRE(b);
      REQUIRE(*a == *b);
    }
    CHECK(original.snapshot() == restored->snapshot());
    CHECK(*original.attribution(stream.row(3)) == *restored->attribution(stream.row(3)));
  }
}

TEST_CASE("an empty forest and a forest with an executor round-trip too") {
  auto empty = small_forest(3).build();
  REQUIRE(empty);
  auto restored_empty = RandomCutForest::restore(empty->snapshot());
  REQUIRE(restored_empty);
  CHECK(restored_empty->snapshot() == empty->snapshot());
  auto pool = anomstream::hotpath::ThreadPool::create(2);
  REQUIRE(pool);
  RandomCutForest original = warm_forest(3, 1000);
  auto restored = RandomCutForest::restore(original.snapshot(), *pool);
  REQUIRE(restored);
  const std::vector<double> p = {0.1, 0.2, 0.3};
  CHECK(*restored->score(p) == *original.score(p));
}

TEST_CASE("a snapshot that breaks an invariant is rejected with the field named") {
  const RandomCutForest forest = warm_forest(3, 2000);
  const ForestSnapshot good = forest.snapshot();
  REQUIRE(RandomCutForest::restore(good));
  struct Corruption {
    const char* what;
    std::function<void(ForestSnapshot&)> apply;
    ErrorCode code;
    const char* field;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<Corruption> corruptions = {
      {"too few trees", [](ForestSnapshot& s) { s.trees.pop_back(); }, ErrorCode::corrupt_snapshot,
       "trees"},
      {"a bad configuration", [](ForestSnapshot& s) { s.config.num_trees = 7; },
       ErrorCode::invalid_config, "num_trees"},
      {"a ragged point array", [](ForestSnapshot& s) { s.points.pop_back(); },
       ErrorCode::corrupt_snapshot, "points"},
      {"a NaN coordinate", [nan](ForestSnapshot& s) { s.points[4] = nan; },
       ErrorCode::corrupt_snapshot, "points[4]"},
      {"a cut outside its box", [](ForestSnapshot& s) { s.trees[1].cut_values[0] = 1e9F; },
       ErrorCode::corrupt_snapshot, "trees[1].node"},
      {"a cut dimension beyond D", [](ForestSnapshot& s) { s.trees[2].cut_dimensions[0] = 3; },
       ErrorCode::corrupt_snapshot, "trees[2].cut_dimensions"},
      // Found by tests/fuzz/state_file_fuzz.cpp
      // (tests/fuzz/regressions/state_file/shape_more_internal_nodes):
      // the shape's length matched cuts + leaves, but with one leaf turned internal the
      // walk read cut_dimensions past its end.
      {"a leaf turned internal in the shape",
       [](ForestSnapshot& s) {
         auto& shape = s.trees[0].shape;
         *std::find(shape.begin(), shape.end(), std::uint8_t{0}) = 1;
       },
       ErrorCode::corrupt_snapshot, "trees[0].shape"},
      {"an internal node turned leaf in the shape",
       [](ForestSnapshot& s) {
         auto& shape = s.trees[0].shape;
         *std::find(shape.rbegin(), shape.rend(), std::uint8_t{1}) = 0;
       },
       ErrorCode::corrupt_snapshot, "trees[0].shape"},
      {"a truncated shape", [](ForestSnapshot& s) { s.trees[0].shape.pop_back(); },
       ErrorCode::corrupt_snapshot, "trees[0].shape"},
      {"leaf masses beyond the sample size",
       [](ForestSnapshot& s) { s.trees[0].leaf_masses[0] += 1; }, ErrorCode::corrupt_snapshot,
       "trees[0].leaf_masses"},
      {"a sample entry the leaves do not hold",
       [](ForestSnapshot& s) {
         s.trees[0].sample.pop_back();
         s.trees[0].weights.pop_back();
       },
       ErrorCode::corrupt_snapshot, "trees[0].sample"},
      {"a sample that is not the tree's",
       [](ForestSnapshot& s) { std::swap(s.trees[0].sample[0], s.trees[1].sample[0]); },
       ErrorCode::corrupt_snapshot, "trees[0].sample"},
      {"a broken heap",
       [](ForestSnapshot& s) { s.trees[0].weights[0] = s.trees[0].weights.back() - 100.0; },
       ErrorCode::corrupt_snapshot, "trees[0].weights"},
      {"an all-zero generator", [](ForestSnapshot& s) { s.trees[3].rng = {}; },
       ErrorCode::corrupt_snapshot, "trees[3].rng"},
      {"a point id beyond the points", [](ForestSnapshot& s) { s.trees[0].leaf_points[0] = 1U << 30; },
       ErrorCode::corrupt_snapshot, "trees[0].leaf_points"},
      {"a point no tree holds",
       [](ForestSnapshot& s) { s.points.insert(s.points.end(), {7.0F, 7.0F, 7.0F}); },
       ErrorCode::corrupt_snapshot, "points"},
  };
  for (const auto& c : corruptions) {
    const std::string what = c.what;
    CAPTURE(what);
    ForestSnapshot bad = good;
    c.apply(bad);
    auto restored = RandomCutForest::restore(bad);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == c.code);
    CHECK_MESSAGE(restored.error().field.starts_with(c.field), restored.error().message());
  }
}

TEST_CASE("restore counts the snapshot's trees before it builds the forest they declare") {
  // A few bytes on the wire declaring the largest forest the bounds allow, without its
  // trees: refused before a single tree (each reserving for a full sample) is built.
  ForestSnapshot snapshot;
  snapshot.config.dimension = anomstream::forest::MAX_DIMENSION;
  snapshot.config.num_trees = anomstream::forest::MAX_TREES;
  snapshot.config.sample_size = anomstream::forest::MAX_SAMPLE_SIZE;
  snapshot.trees.resize(1);
  const std::size_t before = anomstream::test::allocation_count();
  const auto restored = RandomCutForest::restore(snapshot);
  const std::size_t allocations = anomstream::test::allocation_count() - before;
  REQUIRE_FALSE(restored);
  CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
  CHECK(restored.error().field == "trees");
  CHECK(allocations < 16);  // the error's strings, not the forest
}

TEST_CASE("a shape with more internal nodes than cuts is refused before a cut is read past the end") {
  const ForestSnapshot good = warm_forest(3, 500).snapshot();
  ForestSnapshot bad = good;
  auto& shape = bad.trees[0].shape;
  *std::find(shape.begin(), shape.end(), std::uint8_t{0}) = 1;  // same length, one more 1
  const auto restored = RandomCutForest::restore(bad);
  REQUIRE_FALSE(restored);
  CHECK(restored.error().field == "trees[0].shape");
  CHECK(restored.error().bound == "more internal nodes than cut_dimensions");
}
