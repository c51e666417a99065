#pragma once
// ThresholdedForest: a RandomCutForest with an adaptive threshold over its scores, in
// the manner of AWS's thresholded RCF (TRCF). process() scores a point, grades it against
// the threshold (AdaptiveThreshold: time-decayed mean + z_factor sd, floored at
// min_score, grade rising to 1 at upper_z_factor sd), and then, if asked, updates the
// forest. For an anomalous point it also returns the forest's attribution (DiVector,
// summing to the score) and an expected value: the features that carry most of the
// attribution imputed from the sampled point nearest on the remaining features (a
// conditional imputation in the spirit of AWS's, by nearest neighbour rather than by
// the forest's conditional field).
// Warm-up: grades are 0 until the forest has output_after updates and the threshold
// has seen `threshold.warmup` scores.
// Memory: the forest's memory_bytes() plus ~100 bytes. Time: a forest score and update
// per point; anomalous points add an attribution pass and an O(sample points * D)
// nearest-point search. Failure modes: create() names the invalid field; process()
// returns non_finite / dimension_mismatch for bad input and leaves the state unchanged.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/forest/adaptive_threshold.hpp"
#include "anomstream/forest/di_vector.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/forest_snapshot.hpp"
#include "anomstream/forest/random_cut_forest.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream::forest {

struct ThresholdedForestConfig {
  ForestConfig forest;
  AdaptiveThresholdConfig threshold;
};

struct AnomalyDescriptor {
  std::uint64_t index = 0;  // 0-based count of points processed before this one
  double score = 0;
  double grade = 0;         // 0: not anomalous
  double threshold = 0;
  bool anomalous = false;
  DiVector attribution;         // filled when anomalous
  std::vector<double> expected; // filled when anomalous: the point with its most
                                // attributed features imputed
};

struct ThresholdedForestSnapshot {
  ForestSnapshot forest;
  AdaptiveThresholdSnapshot threshold;
  std::uint64_t processed = 0;
};

class ThresholdedForest {
 public:
  static Result<ThresholdedForest> create(const ThresholdedForestConfig& config,
                                          std::shared_ptr<TreeExecutor> executor = {});
  static Result<ThresholdedForest> restore(const ThresholdedForestSnapshot& snapshot,
                                           std::shared_ptr<TreeExecutor> executor = {});

  // Scores, grades and (if `update`) learns `point`. The descriptor's vectors are reused
  // between calls when the caller passes the same object back.
  [[nodiscard]] Status process(std::span<const double> point, bool update, AnomalyDescriptor& out);
  [[nodiscard]] Result<AnomalyDescriptor> process(std::span<const double> point, bool update = true);

  [[nodiscard]] const RandomCutForest& forest() const noexcept { return forest_; }
  [[nodiscard]] const AdaptiveThreshold& threshold() const noexcept { return threshold_; }
  [[nodiscard]] std::uint64_t processed() const noexcept { return processed_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] ThresholdedForestSnapshot snapshot() const;
  // Replaces the threshold's parameters (z factors, floor, decay, warm-up) and keeps its
  // score statistics, so a retuned threshold applies from the next point. An invalid
  // config is rejected (invalid_config, naming the field) and nothing changes.
  [[nodiscard]] Status retune(const AdaptiveThresholdConfig& config);

 private:
  ThresholdedForest(RandomCutForest forest, AdaptiveThreshold threshold)
      : forest_(std::move(forest)), threshold_(threshold) {}
  RandomCutForest forest_;
  AdaptiveThreshold threshold_;
  std::uint64_t processed_ = 0;
};

}  // namespace anomstream::forest
