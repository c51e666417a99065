#pragma once
// ForestSnapshot: the complete state of a RandomCutForest as plain data.
//
// A forest restored from its snapshot continues bit-for-bit: the same further updates
// give the same scores and the same next snapshot. Random cuts cannot be replayed from
// the sample alone (re-inserting a sample draws different cuts), so the snapshot holds
// each tree's structure (pre-order shape, cut dimensions and values, leaves) together
// with its reservoir (weights and point ids in heap order) and its generator's state.
// Bounding boxes and masses are derived from the leaves on restore, and the points are
// stored once, numbered in the order a canonical walk (tree 0 pre-order, then tree 1,
// ...) first meets them, so two forests in the same state have equal snapshots. It is
// plain data with no wire format: a caller that persists it serialises these fields.
// Memory: about sample_size*(30 + 4) bytes per tree plus 4*D bytes per distinct sampled
// point. Failure modes: RandomCutForest::restore rejects a snapshot
// that breaks any invariant with ErrorCode::corrupt_snapshot (or invalid_config for an
// out-of-bound parameter), naming the field.

#include <cstdint>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/forest_config.hpp"

namespace anomstream::forest {

struct TreeSnapshot {
  Xoshiro256::State rng{};
  // Reservoir in heap order: weights[i] belongs to point id sample[i].
  std::vector<double> weights;
  std::vector<std::uint32_t> sample;
  // Pre-order walk of the tree: 1 = internal node, 0 = leaf.
  std::vector<std::uint8_t> shape;
  // Internal nodes in pre-order.
  std::vector<std::uint16_t> cut_dimensions;
  std::vector<float> cut_values;
  // Leaves in pre-order: point id and multiplicity.
  std::vector<std::uint32_t> leaf_points;
  std::vector<std::uint32_t> leaf_masses;

  friend bool operator==(const TreeSnapshot&, const TreeSnapshot&) = default;
};

struct ForestSnapshot {
  ForestConfig config;
  std::uint64_t entries_seen = 0;
  // Point id i has coordinates points[i*D .. (i+1)*D).
  std::vector<float> points;
  std::vector<TreeSnapshot> trees;

  friend bool operator==(const ForestSnapshot&, const ForestSnapshot&) = default;
};

}  // namespace anomstream::forest
