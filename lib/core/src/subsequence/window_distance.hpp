#pragma once
// The distance kernel of SubsequenceKMeans: squared Euclidean distance between two
// contiguous vectors, and the nearest of k centroids stored row after row.

#include <cstddef>
#include <limits>

namespace anomstream::subsequence::detail {

// Eight independent partial sums: strict IEEE order (no -ffast-math) still lets the
// compiler keep them in vector registers, and the result does not depend on the target.
// T is double (the live window) or float (a reservoir window).
template <class T>
[[nodiscard]] inline double squared_distance(const T* a, const double* b, std::size_t n) noexcept {
  constexpr std::size_t LANES = 8;
  double partial[LANES] = {};
  std::size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    for (std::size_t l = 0; l < LANES; ++l) {
      const double diff = static_cast<double>(a[i + l]) - b[i + l];
      partial[l] += diff * diff;
    }
  }
  for (; i < n; ++i) {
    const double diff = static_cast<double>(a[i]) - b[i];
    partial[0] += diff * diff;
  }
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

struct Nearest {
  std::size_t index = 0;
  double squared_distance = std::numeric_limits<double>::infinity();
};

// The centroid nearest to `x` among `k` centroids of n values each; ties go to the lower
// index.
template <class T>
[[nodiscard]] inline Nearest nearest_centroid(const T* x, const double* centroids, std::size_t k,
                                              std::size_t n) noexcept {
  Nearest best;
  for (std::size_t c = 0; c < k; ++c) {
    const double d2 = squared_distance(x, centroids + c * n, n);
    if (d2 < best.squared_distance) {
      best = {c, d2};
    }
  }
  return best;
}

}  // namespace anomstream::subsequence::detail
