#pragma once
// The distance kernel of SubsequenceKMeans: squared Euclidean distance between two
// contiguous vectors, and the nearest of k centroids stored row after row.

#include <cstddef>
#include <limits>

namespace anomstream::subsequence::detail {

// Sum over i < n of term(i) in eight independent partial sums: under strict IEEE order
// (no -ffast-math) one running sum is a chain of dependent additions, eight can sit in
// vector registers, and the result does not depend on the target.
template <class Term>
[[nodiscard]] inline double lane_sum(std::size_t n, Term term) noexcept {
  // Named accumulators rather than an array: GCC keeps an array of partial sums on the
  // stack and reloads it every step, which costs more than the arithmetic.
  double p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0, p4 = 0.0, p5 = 0.0, p6 = 0.0, p7 = 0.0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    p0 += term(i);
    p1 += term(i + 1);
    p2 += term(i + 2);
    p3 += term(i + 3);
    p4 += term(i + 4);
    p5 += term(i + 5);
    p6 += term(i + 6);
    p7 += term(i + 7);
  }
  for (; i < n; ++i) p0 += term(i);
  return ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7));
}

// T is double (the live window) or float (a reservoir window).
template <class T>
[[nodiscard]] inline double squared_distance(const T* a, const double* b, std::size_t n) noexcept {
  return lane_sum(n, [a, b](std::size_t i) {
    const double diff = static_cast<double>(a[i]) - b[i];
    return diff * diff;
  });
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
