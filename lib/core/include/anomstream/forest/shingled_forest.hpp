#pragma once
// ShingledForest: a RandomCutForest over shingles of a scalar or low-dimensional stream,
// so that it scores the recent *shape* of a series rather than single values.
//
// Each input has `input_dimension` d values; the forest sees the last `shingle_size` s
// inputs concatenated, oldest first (d*s values), as AWS randomcutforest's external
// shingling does (Guha et al., ICML 2016, section 4: "shingling" a time series turns a
// change of pattern into an outlier in d*s dimensions). A periodic signal traces a closed
// curve in shingle space, so a value that is normal on its own but breaks the period, or
// a level shift, lands off that curve. The shingle lives in a mirrored ring buffer (each
// input written twice), so the current shingle is always one contiguous span and nothing
// is copied or allocated per input. Scores are 0 until the shingle is full and the
// forest has output_after updates (the forest's convention); attribution() folds the
// forest's DiVector of length d*s back into s lags (lag 0 = the newest input) of d
// features, plus the per-feature sum over lags.
// Memory (memory_bytes()): the forest's (dimension d*s, see RandomCutForest) plus
// 16*d*s bytes of ring buffer. Time: O(d) per push plus the forest's cost at dimension
// d*s. Failure modes: create() rejects input_dimension outside [1, 10000], shingle_size
// outside [1, 10000 / input_dimension] and any forest field as validate_config does
// (forest.dimension must be 0 or d*s) with ErrorCode::invalid_config; a pushed input of
// the wrong length is dimension_mismatch and NaN/inf non_finite (float32 overflow
// invalid_input), each leaving the buffer and the forest unchanged; restore() returns
// corrupt_snapshot for a snapshot that breaks its invariants.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/mirrored_ring.hpp"
#include "anomstream/forest/di_vector.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/forest_snapshot.hpp"
#include "anomstream/forest/random_cut_forest.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream::forest {

struct ShingledForestConfig {
  std::size_t input_dimension = 1;  // d: values per input, [1, 10000]
  std::size_t shingle_size = 8;     // s: inputs per shingle, [1, 10000 / d]
  // The forest's parameters; `dimension` is 0 (filled in as d*s) or exactly d*s.
  ForestConfig forest;

  friend bool operator==(const ShingledForestConfig&, const ShingledForestConfig&) = default;
};

// An attribution folded into lags: by_lag[k] is the share of the input k steps back
// (k = 0 the newest), by_feature[j] the sum of feature j over all lags. Both sum to the
// score the attribution explains.
struct LagAttribution {
  std::vector<DiVector> by_lag;
  DiVector by_feature;

  // high + low summed over the features of input `lag` steps back.
  [[nodiscard]] double lag_total(std::size_t lag) const noexcept;
  // The lag with the largest lag_total (0 when empty).
  [[nodiscard]] std::size_t top_lag() const noexcept;
  [[nodiscard]] double total() const noexcept { return by_feature.total(); }
};

struct ShingledForestSnapshot {
  ShingledForestConfig config;  // forest.dimension filled in
  ForestSnapshot forest;
  std::uint64_t inputs_seen = 0;
  // The last min(inputs_seen, s) inputs, oldest first, d values each.
  std::vector<double> recent;

  friend bool operator==(const ShingledForestSnapshot&, const ShingledForestSnapshot&) = default;
};

class ShingledForest {
 public:
  [[nodiscard]] static Result<ShingledForest> create(const ShingledForestConfig& config,
                                                     std::shared_ptr<TreeExecutor> executor = {});
  // Rebuilds the forest and the shingle; it continues bit-for-bit.
  [[nodiscard]] static Result<ShingledForest> restore(const ShingledForestSnapshot& snapshot,
                                                      std::shared_ptr<TreeExecutor> executor = {});

  // Appends `input` (d values) to the shingle, dropping the oldest input once full.
  [[nodiscard]] Status push(std::span<const double> input) noexcept;
  // Score of the current shingle (0 until is_ready()).
  [[nodiscard]] Result<double> score() const noexcept;
  // The current shingle's attribution by lag and feature (zeros until is_ready()).
  [[nodiscard]] Result<LagAttribution> attribution() const;
  // Offers the current shingle to the forest; not_ready until the shingle is full.
  [[nodiscard]] Status learn() noexcept;
  // push(input), then the score of the new shingle and, if `update`, learn() in the
  // same pass over the trees. 0 while the shingle fills (nothing is learned then).
  [[nodiscard]] Result<double> process(std::span<const double> input, bool update = true) noexcept;

  // The last s inputs, oldest first (d*s values); empty until the shingle is full.
  [[nodiscard]] std::span<const double> shingle() const noexcept;
  [[nodiscard]] bool is_full() const noexcept { return ring_.is_full(); }
  // True once score() gives real scores: shingle full and forest ready.
  [[nodiscard]] bool is_ready() const noexcept { return is_full() && forest_.is_ready(); }
  [[nodiscard]] std::uint64_t inputs_seen() const noexcept { return ring_.pushed(); }
  [[nodiscard]] std::size_t input_dimension() const noexcept { return input_dimension_; }
  [[nodiscard]] std::size_t shingle_size() const noexcept { return shingle_size_; }
  [[nodiscard]] const RandomCutForest& forest() const noexcept { return forest_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] ShingledForestSnapshot snapshot() const;

 private:
  ShingledForest(RandomCutForest forest, std::size_t input_dimension, std::size_t shingle_size);

  RandomCutForest forest_;
  std::size_t input_dimension_;
  std::size_t shingle_size_;
  MirroredRing ring_;  // the last s inputs, contiguous
};

}  // namespace anomstream::forest
