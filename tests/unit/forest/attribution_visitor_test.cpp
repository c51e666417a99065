#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/attribution_visitor.hpp"
#include "anomstream/forest/point_store.hpp"
#include "anomstream/forest/random_cut_tree.hpp"
#include "anomstream/forest/score_visitor.hpp"
#include "forest_test_support.hpp"

using anomstream::Xoshiro256;
using anomstream::forest::attribute_tree;
using anomstream::forest::PointStore;
using anomstream::forest::RandomCutTree;

TEST_CASE("a point beyond the sample in one dimension is attributed there, in that direction") {
  PointStore store(2, 16);
  RandomCutTree tree(2, 8);
  Xoshiro256 rng(2);
  const float a[2] = {0, 0};
  const float b[2] = {1, 0};
  tree.insert(store.add(a), a, store, rng);
  tree.insert(store.add(b), b, store, rng);
  std::vector<double> high(2);
  std::vector<double> low(2);
  std::vector<float> scratch(4);
  const float above[2] = {3, 0};
  attribute_tree(tree, above, store, high, low, scratch);
  const double score = anomstream::forest::score_tree(tree, above, store);
  CHECK(high[0] == doctest::Approx(score).epsilon(1e-12));
  CHECK(low[0] == 0.0);
  CHECK(high[1] == 0.0);
  CHECK(low[1] == 0.0);
  const float below[2] = {0, -2};
  attribute_tree(tree, below, store, high, low, scratch);
  CHECK(low[1] == doctest::Approx(anomstream::forest::score_tree(tree, below, store)).epsilon(1e-12));
  CHECK(high[0] + low[0] + high[1] == 0.0);
}

TEST_CASE("a duplicate of a lone point spreads its score evenly") {
  PointStore store(3, 4);
  RandomCutTree tree(3, 4);
  Xoshiro256 rng(2);
  const float a[3] = {1, 2, 3};
  tree.insert(store.add(a), a, store, rng);
  std::vector<double> high(3);
  std::vector<double> low(3);
  std::vector<float> scratch(6);
  attribute_tree(tree, a, store, high, low, scratch);
  for (int i = 0; i < 3; ++i) {
    CHECK(high[i] == doctest::Approx(0.5 / 6));
    CHECK(low[i] == doctest::Approx(0.5 / 6));
  }
}

TEST_CASE("each tree's attribution sums to its score") {
  auto forest = anomstream::test::small_forest(5, 8).build();
  REQUIRE(forest);
  const auto stream = anomstream::test::make_stream(5, 4000, 2);
  for (std::size_t t = 0; t < 3000; ++t) {
    REQUIRE(forest->update(stream.row(t)));
  }
  std::vector<double> high(5);
  std::vector<double> low(5);
  std::vector<float> scratch(10);
  for (std::size_t t = 3000; t < 3100; ++t) {
    std::vector<float> q(stream.row(t).begin(), stream.row(t).end());
    if (t % 10 == 0) {
      q = std::vector<float>(forest->point_store().point(forest->tree(0).reservoir().points()[0]),
                             forest->point_store().point(forest->tree(0).reservoir().points()[0]) + 5);
    }
    for (std::size_t i = 0; i < forest->num_trees(); ++i) {
      const auto& tree = forest->tree(i).tree();
      attribute_tree(tree, q.data(), forest->point_store(), high, low, scratch);
      double total = 0.0;
      for (int k = 0; k < 5; ++k) {
        REQUIRE(high[k] >= 0.0);
        REQUIRE(low[k] >= 0.0);
        total += high[k] + low[k];
      }
      // The score sums distances in float32, the attribution in double.
      REQUIRE(total == doctest::Approx(anomstream::forest::score_tree(tree, q.data(), forest->point_store()))
                           .epsilon(1e-5));
    }
  }
}
