#pragma once
// RandomCutForest: streaming anomaly detection with a Robust Random Cut Forest (Guha,
// Mishra, Roy & Schrijvers, ICML 2016), conformant with AWS randomcutforest (rcflib).
//
// num_trees SampledTrees (a time-decayed weighted reservoir of sample_size points and a
// random cut tree over it, each with its own Xoshiro256 stream) share one PointStore of
// float32 points. `update` offers a point to every tree; `score` is AWS's anomaly score
// (score_visitor.hpp) averaged over trees: about 0.8-1 for inliers, clearly higher for
// outliers, 0 until `output_after` updates. `attribution` splits the score per dimension
// and direction (DiVector, sums to the score); `attribution_stability` says how much the
// trees agree; `forensic_baseline` relates the point to the sample. With a TreeExecutor
// the per-tree work runs in parallel with bit-identical results. Runtime dimension; the
// FixedRandomCutForest<D> front end adds compile-time-checked std::array input.
// Memory (memory_bytes()): per tree 34*s bytes of nodes, leaves and reservoir (s =
// sample_size) plus 8*D bytes per stored box (nodes with two leaf children store none:
// about 0.75*s boxes in steady state, s at most), plus (4*D + 4) bytes per distinct
// sampled point (about 7 500 for 100 trees of 256 at the default decay, at most
// num_trees*s + 1). Measured after warm-up, 100 trees of 256: 1.67 MB at D = 4, 3.8 MB at
// D = 16, 12.5 MB at D = 64 (AWS's reference: 1.8, 4.6, 16.0). Time per point: see
// docs/performance.md; about 100 tree walks of depth ~10-20. The observation path
// (update, score, score_and_update) is noexcept and allocates only when the point store
// or a tree's box pool reaches a new high-water mark, i.e. not in steady state (running
// out of memory there is fatal). Failure modes: wrong length is
// ErrorCode::dimension_mismatch, NaN/inf ErrorCode::non_finite, a value outside float32
// range ErrorCode::invalid_input — each leaves the forest unchanged; construction and
// restore validate as ForestBuilder and ForestSnapshot describe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/forest/attribution_stability.hpp"
#include "anomstream/forest/di_vector.hpp"
#include "anomstream/forest/forensic_baseline.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/forest_snapshot.hpp"
#include "anomstream/forest/point_store.hpp"
#include "anomstream/forest/sampled_tree.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream::forest {

class RandomCutForest {
 public:
  // Validates `config` (see validate_config); ForestBuilder is the usual way in.
  [[nodiscard]] static Result<RandomCutForest> create(const ForestConfig& config,
                                                      std::shared_ptr<TreeExecutor> executor = {});
  // Rebuilds a forest from its snapshot; it continues bit-for-bit.
  [[nodiscard]] static Result<RandomCutForest> restore(const ForestSnapshot& snapshot,
                                                       std::shared_ptr<TreeExecutor> executor = {});

  // Offers the point to every tree's sample.
  [[nodiscard]] Status update(std::span<const double> point) noexcept;
  // Anomaly score of the point against the current sample (0 before output_after).
  [[nodiscard]] Result<double> score(std::span<const double> point) const noexcept;
  // score(point) then update(point) in one pass over the trees.
  [[nodiscard]] Result<double> score_and_update(std::span<const double> point) noexcept;
  // Per-dimension high/low contributions; their total equals the score (0 before
  // output_after, like the score).
  [[nodiscard]] Result<DiVector> attribution(std::span<const double> point) const;
  [[nodiscard]] Result<AttributionStability> attribution_stability(
      std::span<const double> point) const;
  [[nodiscard]] Result<ForensicBaseline> forensic_baseline(std::span<const double> point) const;

  [[nodiscard]] ForestSnapshot snapshot() const;
  // Every invariant of every tree, and the point store's reference counts.
  [[nodiscard]] Status validate() const;

  [[nodiscard]] const ForestConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t dimension() const noexcept { return config_.dimension; }
  [[nodiscard]] std::size_t num_trees() const noexcept { return trees_.size(); }
  [[nodiscard]] std::uint64_t entries_seen() const noexcept { return entries_seen_; }
  // True once score() returns real scores (entries_seen() >= output_after).
  [[nodiscard]] bool is_ready() const noexcept { return entries_seen_ >= config_.output_after; }
  // Bytes the forest holds: trees, reservoirs, point store (allocated capacity).
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] const SampledTree& tree(std::size_t i) const noexcept { return trees_[i]; }
  [[nodiscard]] const PointStore& point_store() const noexcept { return store_; }
  [[nodiscard]] const std::shared_ptr<TreeExecutor>& executor() const noexcept {
    return executor_;
  }
  // Parallel execution over trees from now on (nullptr: serial). Results do not change.
  void set_executor(std::shared_ptr<TreeExecutor> executor) noexcept {
    executor_ = std::move(executor);
  }

 private:
  RandomCutForest(const ForestConfig& config, std::shared_ptr<TreeExecutor> executor);

  // Validates and converts to float32.
  [[nodiscard]] Status to_float(std::span<const double> point, float* out) const noexcept;
  // Calls f(begin, end) on ranges of trees covering all, through the executor if any.
  template <class F>
  void for_each_tree_range(F&& f) const noexcept;
  // Calls f(tree_index) for every tree, through the executor if there is one.
  template <class F>
  void for_each_tree(F&& f) const noexcept;
  // Adds the (already converted) point to the store; returns its index.
  std::uint32_t begin_update(const float* values) noexcept;
  // Settles the reference counts of the trees' additions and evictions.
  void end_update(std::uint32_t index) noexcept;
  [[nodiscard]] std::vector<DiVector> per_tree_attribution(const float* query) const;

  ForestConfig config_;
  SamplingParams params_;
  std::shared_ptr<TreeExecutor> executor_;
  PointStore store_;
  std::vector<SampledTree> trees_;
  // Per tree, for the update in progress; eight to a cache line, so the threads of an
  // executor (which hand out groups of eight trees) never write to one line.
  struct alignas(64) UpdateGroup {
    TreeUpdate tree[8];
  };
  std::vector<UpdateGroup> updates_;
  [[nodiscard]] TreeUpdate& update_of(std::size_t t) noexcept { return updates_[t / 8].tree[t % 8]; }
  std::vector<float> query_;         // update's float32 copy of the input
  std::vector<double> log2_one_plus_;  // log2(1 + m), m = 0..sample_size
  std::uint64_t entries_seen_ = 0;
};

}  // namespace anomstream::forest
