#pragma once
// SampledTree: one tree of the forest with its own weighted reservoir and generator.
//
// Implements AWS randomcutforest's SamplerPlusTree: a new point draws u ~ U(0,1) and
// gets the weight ln(-ln u) - n*time_decay (n = points the tree has seen); while the
// reservoir is not full a second draw accepts it outright with the initial-accept
// probability (1 below a fill fraction of initial_accept_fraction f0, then falling
// linearly to 0 at full: 1 - (fill - f0)/(1 - f0)); otherwise it is accepted iff its
// weight is below the reservoir's largest, which is evicted
// (Park et al., SDM 2004). The tree inserts the new point before erasing the evicted one
// (each operation keeps the tree distributed as a tree built from its sample, so the
// order does not matter statistically, and inserting first lets an update reuse the
// path the score walked). The decision is made before the tree is touched, and
// for a rejected point (most of them once the sample is full) it costs one draw and a
// comparison against a cached threshold: w < W_max <=> u > exp(-exp(W_max + n*lambda)),
// and exp(-x) >= 1 - x rejects every u <= 1 - x*(1 + 1e-6) without a logarithm; in the
// sliver above that the weight is computed exactly, so every decision equals the exact
// rule. Each tree owns a Xoshiro256 stream, so trees may update in parallel and stay
// deterministic. Memory: the tree plus 12 bytes per reservoir slot. Time: O(1) for a
// rejected point, O(depth*D) for an accepted one. No allocation.

#include <cstddef>
#include <cstdint>
#include <span>

#include "anomstream/core/error.hpp"
#include "anomstream/core/random.hpp"
#include "anomstream/forest/point_store.hpp"
#include "anomstream/forest/random_cut_tree.hpp"
#include "anomstream/forest/weighted_reservoir.hpp"
#include "anomstream/forest/detail/uniform.hpp"

namespace anomstream::forest {

struct TreeSnapshot;

struct SamplingParams {
  double time_decay = 0.0;
  double initial_accept_fraction = 0.125;
  double decay_step = 1.0;  // exp(time_decay), for the cached threshold
};

// What one tree did with a point: the index it now holds for it (NO_POINT if rejected)
// and the point it evicted (NO_POINT if none).
struct TreeUpdate {
  std::uint32_t added = PointStore::NO_POINT;
  std::uint32_t evicted = PointStore::NO_POINT;
};

// The walk of a point down one tree (RandomCutTree::descend and first_outside), which
// scoring computes anyway; an update can reuse it instead of walking again.
struct TreePath {
  const NodeRef* nodes = nullptr;
  std::size_t depth = 0;
  std::size_t first_outside = 0;
  NodeRef leaf = NO_NODE;
};

// Cache-line aligned: neighbouring trees may be updated by different threads.
class alignas(64) SampledTree {
 public:
  SampledTree() = default;
  SampledTree(std::size_t dimension, std::size_t sample_size, std::uint64_t seed);

  // Offers point `index` (coordinates `values`), the forest's `entries_seen`-th point.
  TreeUpdate update(std::uint32_t index, const float* values, const PointStore& store,
                    const SamplingParams& params, std::uint64_t entries_seen) noexcept {
    const double u = detail::uniform_open(rng_);
    if (quick_reject(u, params, entries_seen)) {
      return {};
    }
    return update_slow(u, index, values, store, params, entries_seen, nullptr);
  }
  // The same, given the point's walk down this tree in its current state.
  TreeUpdate update(std::uint32_t index, const float* values, const PointStore& store,
                    const SamplingParams& params, std::uint64_t entries_seen,
                    const TreePath& path) noexcept {
    const double u = detail::uniform_open(rng_);
    if (quick_reject(u, params, entries_seen)) {
      return {};
    }
    return update_slow(u, index, values, store, params, entries_seen, &path);
  }

  [[nodiscard]] const RandomCutTree& tree() const noexcept { return tree_; }
  [[nodiscard]] const WeightedReservoir& reservoir() const noexcept { return reservoir_; }
  [[nodiscard]] const Xoshiro256& rng() const noexcept { return rng_; }

  // Tree invariants plus: the reservoir is a heap and holds exactly the tree's points
  // with their multiplicities.
  [[nodiscard]] Status validate(const PointStore& store) const;

  void export_snapshot(TreeSnapshot& out, std::span<const std::uint32_t> ids) const;
  [[nodiscard]] Status import_snapshot(const TreeSnapshot& in,
                                       std::span<const std::uint32_t> indices,
                                       const PointStore& store);

  // Heap bytes of the tree and the reservoir, without the object itself.
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return tree_.memory_bytes() + reservoir_.memory_bytes();
  }

 private:
  [[nodiscard]] static double initial_accept_probability(double fill_fraction,
                                                         double initial_fraction) noexcept;
  // The common case, inline: a full reservoir whose threshold was valid for the previous
  // point rejects every u <= 1 - exp(W_max + n*lambda)*(1 + margin) without a logarithm.
  // Keeps the cached threshold in step; false means "decide exactly" (update_slow).
  [[nodiscard]] bool quick_reject(double u, const SamplingParams& params,
                                  std::uint64_t entries_seen) noexcept {
    if (!threshold_valid_ || entries_seen != threshold_at_ + 1 ||
        entries_seen % THRESHOLD_REFRESH == 0 || !reservoir_.full()) {
      return false;
    }
    threshold_ *= params.decay_step;
    threshold_at_ = entries_seen;
    return u <= 1.0 - threshold_ * (1.0 + REJECT_MARGIN);
  }
  TreeUpdate update_slow(double u, std::uint32_t index, const float* values,
                         const PointStore& store, const SamplingParams& params,
                         std::uint64_t entries_seen, const TreePath* path) noexcept;
  // exp(W_max + n*lambda), cached across consecutive n.
  [[nodiscard]] double acceptance_threshold(const SamplingParams& params,
                                            std::uint64_t entries_seen) noexcept;
  // The reservoir's decision for the draw u: false, or true with the new point's weight
  // (and the largest weight, evicted from the reservoir, if it was full).
  [[nodiscard]] bool accept(double u, const SamplingParams& params, std::uint64_t entries_seen,
                            double& weight, std::uint32_t& evicted) noexcept;

  // Relative margin of the logarithm-free rejection test; far above the rounding of the
  // exact weight (|n*lambda| < 1e9 keeps its absolute error below 1e-7).
  static constexpr double REJECT_MARGIN = 1e-6;
  // Recompute the cached threshold exactly at least this often.
  static constexpr std::uint64_t THRESHOLD_REFRESH = 1024;

  RandomCutTree tree_;
  WeightedReservoir reservoir_;
  Xoshiro256 rng_;
  double threshold_ = 0.0;
  std::uint64_t threshold_at_ = 0;
  bool threshold_valid_ = false;
};

}  // namespace anomstream::forest
