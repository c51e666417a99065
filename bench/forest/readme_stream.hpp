#pragma once
// The golden README's stream (../shared/golden/rcf/README.md), generated: point t,
// dimension j: sin(2*pi*t/(50 + 7*j) + 0.3*j) + 0.1*N(0,1), rounded to float32; every
// 1000th point gets +5 in one uniformly chosen dimension. Seeded, so runs compare.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"

namespace anomstream::bench {

struct ReadmeStream {
  std::size_t dimension = 0;
  std::vector<double> values;
  [[nodiscard]] std::size_t rows() const { return values.size() / dimension; }
  [[nodiscard]] std::span<const double> row(std::size_t t) const {
    return {values.data() + (t % rows()) * dimension, dimension};
  }
};

inline ReadmeStream make_readme_stream(std::size_t dimension, std::size_t rows,
                                       std::uint64_t seed) {
  Xoshiro256 rng(seed);
  ReadmeStream s;
  s.dimension = dimension;
  s.values.resize(rows * dimension);
  for (std::size_t t = 0; t < rows; ++t) {
    for (std::size_t j = 0; j < dimension; ++j) {
      const double u1 = std::max(rng.uniform01(), 1e-300);
      const double u2 = rng.uniform01();
      const double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
      const double x = std::sin(2.0 * std::numbers::pi * static_cast<double>(t) /
                                    (50.0 + 7.0 * static_cast<double>(j)) +
                                0.3 * static_cast<double>(j)) +
                       0.1 * normal;
      s.values[t * dimension + j] = static_cast<float>(x);
    }
    if ((t + 1) % 1000 == 0) {
      const std::size_t j = rng.below(dimension);
      s.values[t * dimension + j] = static_cast<float>(s.values[t * dimension + j] + 5.0);
    }
  }
  return s;
}

}  // namespace anomstream::bench
