#pragma once
// DynamicForest: a ThresholdedForest whose dimension is learned from the data, for callers
// that only know the width of a stream once it arrives. (The daemon does not use it: it
// builds a ThresholdedForest once a stream's first observation gives its width.)
//
// It starts unconfigured; the first point (or an explicit set_dimension) fixes the
// dimension anywhere in [1, max_dimension] and builds the forest then, from the template
// configuration given at creation, which was validated in full up front (so building
// cannot fail later). From then on it is that ThresholdedForest (AWS-style thresholded
// RCF: score, adaptive-threshold grade, attribution and expected value per point); points
// of another width are dimension_mismatch errors. ThresholdedForest rather than a bare
// RandomCutForest because both users want the grade; the score and the forest are in the
// descriptor and forest(). DynamicForest<> is the engine with a runtime maximum;
// DynamicForest<MaxD> fixes the maximum at compile time (MaxD in [1, 10000]).
// Memory (memory_bytes()): a few hundred bytes while unconfigured, then the forest's (see
// RandomCutForest) at the learned dimension. Time: the ThresholdedForest's; the point
// that fixes the dimension also allocates the forest. Failure modes: create() rejects
// any template field out of bounds (the dimension is checked as 1 when it is 0 =
// learned) with ErrorCode::invalid_config; a first point of width 0 or above the maximum
// and any later point of another width are dimension_mismatch, NaN/inf non_finite, each
// leaving the state unchanged (a rejected first point does not fix the dimension);
// set_dimension to a different dimension once fixed is incompatible; restore() returns
// corrupt_snapshot for a snapshot that breaks its invariants.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "anomstream/core/error.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/thresholded_forest.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream::forest {

struct DynamicForestConfig {
  // Every field but forest.dimension applies to the forest once built; forest.dimension
  // 0 means "learn from the first point", otherwise the forest is built at creation.
  ThresholdedForestConfig forest;
  // Widest point accepted, [1, 10000]. DynamicForest<MaxD> sets it to MaxD.
  std::size_t max_dimension = MAX_DIMENSION;
};

struct DynamicForestSnapshot {
  DynamicForestConfig config;  // as given at creation (forest.dimension possibly 0)
  // Present once the dimension is fixed; its forest config holds the learned dimension.
  std::optional<ThresholdedForestSnapshot> forest;
};

template <std::size_t MaxD = std::dynamic_extent>
class DynamicForest;

template <>
class DynamicForest<std::dynamic_extent> {
 public:
  [[nodiscard]] static Result<DynamicForest> create(const DynamicForestConfig& config,
                                                    std::shared_ptr<TreeExecutor> executor = {});
  [[nodiscard]] static Result<DynamicForest> restore(const DynamicForestSnapshot& snapshot,
                                                     std::shared_ptr<TreeExecutor> executor = {});

  // Fixes the dimension (and builds the forest) without a point. Setting the dimension it
  // already has is a no-op.
  [[nodiscard]] Status set_dimension(std::size_t dimension);
  // ThresholdedForest::process, fixing the dimension on the first point.
  [[nodiscard]] Status process(std::span<const double> point, bool update, AnomalyDescriptor& out);
  [[nodiscard]] Result<AnomalyDescriptor> process(std::span<const double> point,
                                                  bool update = true);

  [[nodiscard]] bool is_configured() const noexcept { return forest_ != nullptr; }
  // The learned dimension, 0 while unconfigured.
  [[nodiscard]] std::size_t dimension() const noexcept;
  [[nodiscard]] std::size_t max_dimension() const noexcept { return config_.max_dimension; }
  [[nodiscard]] const DynamicForestConfig& config() const noexcept { return config_; }
  // The forest, nullptr while unconfigured.
  [[nodiscard]] const ThresholdedForest* forest() const noexcept { return forest_.get(); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] DynamicForestSnapshot snapshot() const;

 private:
  DynamicForest(const DynamicForestConfig& config, std::shared_ptr<TreeExecutor> executor)
      : config_(config), executor_(std::move(executor)) {}
  [[nodiscard]] Status check_width(std::size_t width) const;

  DynamicForestConfig config_;
  std::shared_ptr<TreeExecutor> executor_;
  std::unique_ptr<ThresholdedForest> forest_;  // built when the dimension is fixed
};

// The same engine with the maximum dimension fixed at compile time.
template <std::size_t MaxD>
class DynamicForest {
  static_assert(MaxD >= MIN_DIMENSION && MaxD <= MAX_DIMENSION,
                "the maximum dimension must be in [1, 10000]");

 public:
  static constexpr std::size_t MAX_INPUT_DIMENSION = MaxD;

  // Any max_dimension in `config` is replaced by MaxD.
  [[nodiscard]] static Result<DynamicForest> create(DynamicForestConfig config,
                                                    std::shared_ptr<TreeExecutor> executor = {}) {
    config.max_dimension = MaxD;
    auto engine = DynamicForest<>::create(config, std::move(executor));
    if (!engine) return std::unexpected(engine.error());
    return DynamicForest(std::move(*engine));
  }
  // The snapshot must come from a DynamicForest with the same maximum.
  [[nodiscard]] static Result<DynamicForest> restore(const DynamicForestSnapshot& snapshot,
                                                     std::shared_ptr<TreeExecutor> executor = {}) {
    if (snapshot.config.max_dimension != MaxD) {
      return fail(ErrorCode::incompatible, "max_dimension", "must be " + std::to_string(MaxD));
    }
    auto engine = DynamicForest<>::restore(snapshot, std::move(executor));
    if (!engine) return std::unexpected(engine.error());
    return DynamicForest(std::move(*engine));
  }

  [[nodiscard]] Status set_dimension(std::size_t dimension) {
    return engine_.set_dimension(dimension);
  }
  [[nodiscard]] Status process(std::span<const double> point, bool update, AnomalyDescriptor& out) {
    return engine_.process(point, update, out);
  }
  [[nodiscard]] Result<AnomalyDescriptor> process(std::span<const double> point,
                                                  bool update = true) {
    return engine_.process(point, update);
  }
  [[nodiscard]] bool is_configured() const noexcept { return engine_.is_configured(); }
  [[nodiscard]] std::size_t dimension() const noexcept { return engine_.dimension(); }
  [[nodiscard]] static constexpr std::size_t max_dimension() noexcept { return MaxD; }
  [[nodiscard]] const ThresholdedForest* forest() const noexcept { return engine_.forest(); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return engine_.memory_bytes(); }
  [[nodiscard]] DynamicForestSnapshot snapshot() const { return engine_.snapshot(); }
  [[nodiscard]] const DynamicForest<>& engine() const noexcept { return engine_; }

 private:
  explicit DynamicForest(DynamicForest<> engine) : engine_(std::move(engine)) {}
  DynamicForest<> engine_;
};

}  // namespace anomstream::forest
