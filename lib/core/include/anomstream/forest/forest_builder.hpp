#pragma once
// ForestBuilder: the one way to configure a RandomCutForest, validating every field once.
//
// Setters record values; `build` checks them all (validate_config: the AWS SageMaker
// bounds dimension 1..10000, num_trees 50..1000, sample_size 1..2048, plus time_decay in
// [0, 1] and initial_accept_fraction in [0, 1]) and returns an Error naming the first
// field out of bounds. Defaults follow AWS randomcutforest: 100 trees of 256 points,
// time_decay 0.1/sample_size and output_after 1 + sample_size/4 unless set, initial
// accept fraction 0.125, seed 0, serial execution. The dimension has no default.
// Memory and time: a few words; building allocates the forest (see RandomCutForest).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "anomstream/core/error.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/random_cut_forest.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream::forest {

class ForestBuilder {
 public:
  ForestBuilder& dimension(std::size_t value) noexcept {
    config_.dimension = value;
    return *this;
  }
  ForestBuilder& num_trees(std::size_t value) noexcept {
    config_.num_trees = value;
    return *this;
  }
  ForestBuilder& sample_size(std::size_t value) noexcept {
    config_.sample_size = value;
    return *this;
  }
  ForestBuilder& seed(std::uint64_t value) noexcept {
    config_.seed = value;
    return *this;
  }
  ForestBuilder& time_decay(double value) noexcept {
    time_decay_ = value;
    return *this;
  }
  ForestBuilder& output_after(std::uint64_t value) noexcept {
    output_after_ = value;
    return *this;
  }
  ForestBuilder& initial_accept_fraction(double value) noexcept {
    config_.initial_accept_fraction = value;
    return *this;
  }
  // Runs per-tree work through `executor` (e.g. hotpath::ThreadPool); nullptr = serial.
  ForestBuilder& executor(std::shared_ptr<TreeExecutor> value) noexcept {
    executor_ = std::move(value);
    return *this;
  }

  // The configuration with defaults filled in, validated.
  [[nodiscard]] Result<ForestConfig> config() const;
  [[nodiscard]] Result<RandomCutForest> build() const;

 private:
  ForestConfig config_;
  std::optional<double> time_decay_;
  std::optional<std::uint64_t> output_after_;
  std::shared_ptr<TreeExecutor> executor_;
};

}  // namespace anomstream::forest
