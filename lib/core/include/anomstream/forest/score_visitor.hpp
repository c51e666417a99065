#pragma once
// The anomaly score of one tree, as AWS randomcutforest (rcflib's ScalarScoreVisitor
// with its default VisitorInfo) computes it.
//
// Descend to the leaf the query would reach. At the leaf (depth d, mass m): if the query
// equals the leaf's point the score is (1 - m/(2*M)) / (d + log2(1 + m)) (M = the tree's
// mass) and the walk stops; otherwise it starts at 1/(d + 1). Walking back up, at a node
// of depth k whose box has range sum R and lies at total distance `out` from the query,
// a random cut separates them with probability p = out/(R + out) and the score becomes
// (1 - p)*score + p/(k + 1); p = 0 (query inside the box) ends the walk, since every box
// above contains this one. The result is score * log2(1 + M) (so scores do not shrink
// with the sample size); an empty tree scores 0. Distances and range sums are summed in
// float32 over the float32 boxes, probabilities in double. Time: O(depth) to descend
// plus O(D) per node walked up, no allocation; the path lives in a stack array.
// `score_trees` computes the same per-tree values for a range of trees, walking
// SCORE_BATCH trees in lockstep so that their cache misses overlap (a descent is a chain
// of dependent loads; one tree at a time leaves the core waiting on each).

#include <array>
#include <cstddef>
#include <span>

#include "anomstream/forest/point_store.hpp"
#include "anomstream/forest/random_cut_tree.hpp"
#include "anomstream/forest/sampled_tree.hpp"

namespace anomstream::forest {

inline constexpr std::size_t SCORE_BATCH = 16;

[[nodiscard]] double score_tree(const RandomCutTree& tree, const float* query,
                                const PointStore& store) noexcept;

// The walk a score made down one tree, reusable by SampledTree::update (TreePath).
struct ScoredPath {
  std::array<NodeRef, MAX_TREE_DEPTH> nodes;
  std::size_t depth = 0;
  std::size_t first_outside = 0;
  NodeRef leaf = NO_NODE;
  [[nodiscard]] TreePath view() const noexcept { return {nodes.data(), depth, first_outside, leaf}; }
};

// scores[i] = score_tree(trees[i].tree(), query, store) for every i. `log2_one_plus[m]`
// holds log2(1 + m) for m = 0..sample_size (the normaliser and the "seen" score). With
// `paths` (trees.size() entries) the walks are recorded there.
void score_trees(std::span<const SampledTree> trees, const float* query, const PointStore& store,
                 const double* log2_one_plus, double* scores, ScoredPath* paths = nullptr) noexcept;

}  // namespace anomstream::forest
