#pragma once
// Shared helpers for the forest tests: the golden README's stream generator, small
// forests, and a counter of heap allocations (allocation_counter.cpp replaces the global
// operator new of this test binary to count calls).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/forest_builder.hpp"

namespace anomstream::test {

// Heap allocations made by this process so far (all threads).
std::size_t allocation_count() noexcept;

// ../shared/golden/rcf/README.md's stream: x = sin(2*pi*t/(50 + 7*j) + 0.3*j) + 0.1*N(0,1)
// rounded to float32; every 1000th point (t+1 divisible by 1000) gets +5 in one
// uniformly chosen dimension and label 1.
struct LabelledStream {
  std::size_t dimension = 0;
  std::vector<double> values;
  std::vector<int> labels;
  [[nodiscard]] std::span<const double> row(std::size_t t) const {
    return {values.data() + t * dimension, dimension};
  }
  [[nodiscard]] std::size_t rows() const { return labels.size(); }
};

inline double standard_normal(Xoshiro256& rng) {
  const double u1 = std::max(rng.uniform01(), 1e-300);
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

inline LabelledStream make_stream(std::size_t dimension, std::size_t rows, std::uint64_t seed) {
  Xoshiro256 rng(seed);
  LabelledStream s;
  s.dimension = dimension;
  s.values.resize(rows * dimension);
  s.labels.assign(rows, 0);
  for (std::size_t t = 0; t < rows; ++t) {
    for (std::size_t j = 0; j < dimension; ++j) {
      const double x = std::sin(2.0 * std::numbers::pi * static_cast<double>(t) /
                                    (50.0 + 7.0 * static_cast<double>(j)) +
                                0.3 * static_cast<double>(j)) +
                       0.1 * standard_normal(rng);
      s.values[t * dimension + j] = static_cast<float>(x);
    }
    if ((t + 1) % 1000 == 0) {
      const std::size_t j = rng.below(dimension);
      s.values[t * dimension + j] = static_cast<float>(s.values[t * dimension + j] + 5.0);
      s.labels[t] = 1;
    }
  }
  return s;
}

// A small forest for fast tests (the minimum of 50 trees).
inline forest::ForestBuilder small_forest(std::size_t dimension, std::uint64_t seed = 1,
                                          std::size_t sample_size = 64) {
  return forest::ForestBuilder().dimension(dimension).num_trees(50).sample_size(sample_size).seed(
      seed);
}

}  // namespace anomstream::test
