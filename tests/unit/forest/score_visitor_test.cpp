#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/point_store.hpp"
#include "anomstream/forest/random_cut_tree.hpp"
#include "anomstream/forest/score_visitor.hpp"
#include "forest_test_support.hpp"

using anomstream::Xoshiro256;
using anomstream::forest::PointStore;
using anomstream::forest::RandomCutTree;
using anomstream::forest::score_tree;

namespace {

struct OneDimTree {
  PointStore store{1, 16};
  RandomCutTree tree{1, 8};
  Xoshiro256 rng{4};
  void add(float v) { tree.insert(store.add(&v), &v, store, rng); }
  double score(float q) { return score_tree(tree, &q, store); }
};

}  // namespace

TEST_CASE("an empty tree scores 0 and a single point scores 1 unseen, 1/2 seen") {
  OneDimTree t;
  CHECK(t.score(3.0F) == 0.0);
  t.add(1.0F);
  // Leaf at depth 0: unseen 1/(0+1), times log2(1+1) = 1.
  CHECK(t.score(3.0F) == doctest::Approx(1.0).epsilon(1e-15));
  // Seen: damp (1 - 1/2) * 1/(0 + log2(2)) = 0.5, times log2(2).
  CHECK(t.score(1.0F) == doctest::Approx(0.5).epsilon(1e-15));
}

TEST_CASE("two points: the scores follow the reference's formula exactly") {
  // Points 0 and 1; whatever the cut, every query reaches a leaf at depth 1.
  OneDimTree t;
  t.add(0.0F);
  t.add(1.0F);
  const double norm = std::log2(3.0);
  // Inside the root box: 1/(1+1), and the walk stops (p = 0).
  CHECK(t.score(0.5F) == doctest::Approx(0.5 * norm).epsilon(1e-12));
  // 3 is 2 beyond the box of range 1: p = 2/3, score = (1/3)(1/2) + (2/3)(1/1) = 5/6.
  CHECK(t.score(3.0F) == doctest::Approx(5.0 / 6.0 * norm).epsilon(1e-12));
  // -1 is 1 below: p = 1/2, score = (1/2)(1/2) + 1/2 = 3/4.
  CHECK(t.score(-1.0F) == doctest::Approx(0.75 * norm).epsilon(1e-12));
  // A duplicate of a leaf: damp(1, 2) = 3/4, seen 1/(1 + log2 2) = 1/2.
  CHECK(t.score(1.0F) == doctest::Approx(0.375 * norm).epsilon(1e-12));
  t.add(1.0F);  // mass 2 at that leaf, tree mass 3
  CHECK(t.score(1.0F) == doctest::Approx((1.0 - 2.0 / 6.0) / (1.0 + std::log2(3.0)) * 2.0)
                             .epsilon(1e-12));
}

TEST_CASE("the batched scorer equals the one-tree scorer bit for bit and records the walks") {
  for (const std::size_t dimension : {2U, 4U, 7U, 16U}) {
    CAPTURE(dimension);
    auto forest = anomstream::test::small_forest(dimension, 3).build();
    REQUIRE(forest);
    const auto stream = anomstream::test::make_stream(dimension, 3000, 11);
    for (std::size_t t = 0; t < 2000; ++t) {
      REQUIRE(forest->update(stream.row(t)));
    }
    std::vector<double> table(65);
    for (std::size_t m = 0; m < table.size(); ++m) {
      table[m] = std::log2(1.0 + static_cast<double>(m));
    }
    std::vector<anomstream::forest::SampledTree> trees;
    for (std::size_t i = 0; i < forest->num_trees(); ++i) {
      trees.push_back(forest->tree(i));
    }
    std::vector<anomstream::forest::ScoredPath> paths(trees.size());
    std::vector<double> batched(trees.size());
    for (std::size_t t = 2000; t < 2100; ++t) {
      std::vector<float> q(stream.row(t).begin(), stream.row(t).end());
      anomstream::forest::score_trees(trees, q.data(), forest->point_store(), table.data(),
                                      batched.data(), paths.data());
      for (std::size_t i = 0; i < trees.size(); ++i) {
        const auto& tree = trees[i].tree();
        REQUIRE(batched[i] == score_tree(tree, q.data(), forest->point_store()));
        REQUIRE(paths[i].first_outside ==
                tree.first_outside(q.data(), paths[i].nodes.data(), paths[i].depth, forest->point_store()));
      }
    }
  }
}
