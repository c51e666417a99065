#pragma once
// ForestConfig: the validated parameters of a RandomCutForest.
//
// A plain struct (public fields, ==) shared by ForestBuilder, RandomCutForest and
// ForestSnapshot. `validate_config` checks every field against its bound and names the
// field in the Error: the bounds of AWS SageMaker's RCF hyperparameters (`feature_dim`
// 1..10000, `num_trees` 50..1000, `num_samples_per_tree` 1..2048) plus what the engine
// needs (time_decay finite in [0, 1], initial_accept_fraction in [0, 1]). Memory: a few
// words. Failure modes: ErrorCode::invalid_config naming the field and its bound.

#include <cstddef>
#include <cstdint>

#include "anomstream/core/error.hpp"

namespace anomstream::forest {

inline constexpr std::size_t MIN_DIMENSION = 1;
inline constexpr std::size_t MAX_DIMENSION = 10000;
inline constexpr std::size_t MIN_TREES = 50;
inline constexpr std::size_t MAX_TREES = 1000;
inline constexpr std::size_t MIN_SAMPLE_SIZE = 1;
inline constexpr std::size_t MAX_SAMPLE_SIZE = 2048;
inline constexpr double MAX_TIME_DECAY = 1.0;

struct ForestConfig {
  std::size_t dimension = 0;        // values per point (SageMaker `feature_dim`)
  std::size_t num_trees = 100;      // SageMaker `num_trees`
  std::size_t sample_size = 256;    // points per tree (SageMaker `num_samples_per_tree`)
  std::uint64_t seed = 0;           // every random choice derives from it
  double time_decay = 0.1 / 256;    // lambda of the weighted reservoir, 0 = no decay
  std::uint64_t output_after = 65;  // score() returns 0 until this many updates
  double initial_accept_fraction = 0.125;

  friend bool operator==(const ForestConfig&, const ForestConfig&) = default;
};

// The reference's defaults for a sample size: time_decay 0.1/sample_size,
// output_after 1 + sample_size/4.
[[nodiscard]] double default_time_decay(std::size_t sample_size) noexcept;
[[nodiscard]] std::uint64_t default_output_after(std::size_t sample_size) noexcept;

// Checks every field; the first violation is returned with the field's name.
[[nodiscard]] Status validate_config(const ForestConfig& config);

}  // namespace anomstream::forest
