#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/point_store.hpp"
#include "anomstream/forest/random_cut_tree.hpp"

using anomstream::Xoshiro256;
using anomstream::forest::NodeRef;
using anomstream::forest::PointStore;
using anomstream::forest::RandomCutTree;

namespace {

// The leaves' points with multiplicity, as sorted store indices.
std::vector<std::uint32_t> leaves_of(const RandomCutTree& tree) {
  std::vector<std::uint32_t> out;
  tree.for_each_leaf([&](std::uint32_t point, std::uint32_t mass) { out.insert(out.end(), mass, point); });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("after any sequence of inserts and erases the tree is a valid tree of its sample") {
  // Points on a coarse grid so that equal points (leaf masses > 1) occur often.
  for (const std::size_t dimension : {1U, 3U, 4U, 9U, 16U, 17U}) {
    CAPTURE(dimension);
    const std::size_t capacity = 48;
    PointStore store(dimension, 4096);
    RandomCutTree tree(dimension, capacity);
    Xoshiro256 rng(dimension);
    Xoshiro256 data(100 + dimension);
    std::vector<std::uint32_t> sample;  // store indices the tree holds, with multiplicity
    for (int step = 0; step < 3000; ++step) {
      const bool insert = sample.empty() || (sample.size() < capacity && data.uniform01() < 0.55);
      if (insert) {
        std::vector<float> p(dimension);
        for (auto& v : p) {
          v = static_cast<float>(data.below(4)) * 0.5F;
        }
        const std::uint32_t index = store.add(p.data());
        const std::uint32_t held = tree.insert(index, p.data(), store, rng);
        if (held != index) {
          // An equal point was already there: the tree holds that one.
          CHECK(std::equal(p.begin(), p.end(), store.point(held)));
          store.release(index);
        }
        sample.push_back(held);
      } else {
        const std::size_t pick = data.below(sample.size());
        const std::uint32_t victim = sample[pick];
        REQUIRE(tree.erase(victim, store.point(victim), store));
        sample.erase(sample.begin() + static_cast<long>(pick));
        if (std::find(sample.begin(), sample.end(), victim) == sample.end()) {
          store.release(victim);
        }
      }
      REQUIRE(tree.mass() == sample.size());
      const auto valid = tree.validate(store);
      if (!valid) {
        FAIL(valid.error().message());
      }
      std::vector<std::uint32_t> expected = sample;
      std::sort(expected.begin(), expected.end());
      REQUIRE(leaves_of(tree) == expected);
    }
  }
}

TEST_CASE("erasing a point the tree does not hold fails and changes nothing") {
  PointStore store(2, 16);
  RandomCutTree tree(2, 8);
  Xoshiro256 rng(1);
  const float a[2] = {0, 0};
  const float b[2] = {1, 1};
  const float c[2] = {5, 5};
  tree.insert(store.add(a), a, store, rng);
  tree.insert(store.add(b), b, store, rng);
  const std::uint32_t ic = store.add(c);
  CHECK_FALSE(tree.erase(ic, c, store));
  CHECK(tree.mass() == 2);
  CHECK(tree.validate(store));
}

TEST_CASE("insert_on_path with a recorded walk builds the same tree as insert") {
  const std::size_t d = 3;
  PointStore store(d, 1024);
  RandomCutTree a(d, 100);
  RandomCutTree b(d, 100);
  Xoshiro256 rng_a(9);
  Xoshiro256 rng_b(9);
  Xoshiro256 data(5);
  for (int i = 0; i < 100; ++i) {
    float p[d];
    for (auto& v : p) {
      v = static_cast<float>(data.uniform01());
    }
    const std::uint32_t index = store.add(p);
    a.insert(index, p, store, rng_a);
    std::array<NodeRef, anomstream::forest::MAX_TREE_DEPTH> path;
    std::size_t depth = 0;
    const NodeRef leaf = b.descend(p, path.data(), depth);
    b.insert_on_path(path.data(), depth, b.first_outside(p, path.data(), depth, store), leaf, index, p,
                     store, rng_b);
  }
  std::vector<float> cuts_a;
  std::vector<float> cuts_b;
  for (std::size_t n = 0; n < 99; ++n) {
    cuts_a.push_back(a.node(static_cast<NodeRef>(n)).cut);
    cuts_b.push_back(b.node(static_cast<NodeRef>(n)).cut);
  }
  CHECK(cuts_a == cuts_b);
  CHECK(leaves_of(a) == leaves_of(b));
  CHECK(rng_a == rng_b);
}

TEST_CASE("the root cut falls in each dimension in proportion to its range, uniformly") {
  // Points spanning [0, 9] x [0, 1]: a random cut tree's root cut is in dimension 0 with
  // probability 9/10 and uniform on [0, 9) there, whether the tree was built in one go
  // or by insertions and deletions (Guha et al. 2016, Theorems 1 and 2). 2000 trees:
  // the share's standard error is sqrt(0.09/2000) = 0.0067 and the mean cut's
  // sqrt(81/12/1800) = 0.061; accept 5 standard errors.
  const std::size_t trees = 2000;
  std::size_t in_dim0 = 0;
  double cut_sum = 0.0;
  PointStore store(2, 64);
  std::vector<std::uint32_t> ids;
  Xoshiro256 data(77);
  std::vector<std::array<float, 2>> points = {{0, 0}, {9, 1}, {0, 1}, {9, 0}};
  for (int i = 0; i < 26; ++i) {
    points.push_back({static_cast<float>(9 * data.uniform01()), static_cast<float>(data.uniform01())});
  }
  for (const auto& p : points) {
    ids.push_back(store.add(p.data()));
  }
  for (std::size_t t = 0; t < trees; ++t) {
    RandomCutTree tree(2, 32);
    Xoshiro256 rng(1000 + t);
    std::vector<std::size_t> order(points.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      order[i] = i;
    }
    for (std::size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[rng.below(i)]);
    }
    for (const std::size_t i : order) {
      tree.insert(ids[i], points[i].data(), store, rng);
    }
    // Delete ten of the interior points again (the corners keep the box).
    for (std::size_t i = 4; i < 14; ++i) {
      REQUIRE(tree.erase(ids[i], points[i].data(), store));
    }
    const auto& root = tree.node(tree.root());
    if (root.dim == 0) {
      ++in_dim0;
      cut_sum += root.cut;
    }
  }
  const double share = static_cast<double>(in_dim0) / trees;
  CHECK(std::abs(share - 0.9) < 5 * 0.0067);
  CHECK(std::abs(cut_sum / static_cast<double>(in_dim0) - 4.5) < 5 * 0.061);
}
