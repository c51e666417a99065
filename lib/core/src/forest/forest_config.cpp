#include "anomstream/forest/forest_config.hpp"

#include <cmath>

namespace anomstream::forest {

double default_time_decay(std::size_t sample_size) noexcept {
  return sample_size == 0 ? 0.0 : 0.1 / static_cast<double>(sample_size);
}

std::uint64_t default_output_after(std::size_t sample_size) noexcept {
  return 1 + sample_size / 4;
}

Status validate_config(const ForestConfig& config) {
  if (auto s = require_in_range(config.dimension, MIN_DIMENSION, MAX_DIMENSION, "dimension"); !s) {
    return s;
  }
  if (auto s = require_in_range(config.num_trees, MIN_TREES, MAX_TREES, "num_trees"); !s) {
    return s;
  }
  if (auto s = require_in_range(config.sample_size, MIN_SAMPLE_SIZE, MAX_SAMPLE_SIZE,
                                "sample_size");
      !s) {
    return s;
  }
  if (auto s = require_in_range(config.time_decay, 0.0, MAX_TIME_DECAY, "time_decay"); !s) {
    return s;
  }
  if (auto s = require_in_range(config.initial_accept_fraction, 0.0, 1.0,
                                "initial_accept_fraction");
      !s) {
    return s;
  }
  return {};
}

}  // namespace anomstream::forest
