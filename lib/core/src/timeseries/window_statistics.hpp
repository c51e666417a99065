#pragma once
// Per-subsequence statistics the diagonal STOMP traversal reads (implementation detail of
// MatrixProfile).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace anomstream::timeseries::detail {

// stumpy's STUMPY_STDDEV_THRESHOLD: a window whose population standard deviation is
// below this is "constant" (flat).
inline constexpr double FLAT_STDDEV = 1e-7;

// Everything about the l = n - m + 1 windows of length m that the kernel and the
// constant-window pass need. Arrays the kernel reads past the last window (`df`, `dg`,
// `inv_norm`) carry `padding` extra entries so a block of diagonals never needs a bounds
// check: padding has df = dg = 0 and inv_norm = NaN, and a NaN correlation never wins a
// comparison.
struct WindowStatistics {
  std::size_t window = 0;  // m
  std::size_t count = 0;   // l = n - m + 1
  // Subtracted from every value (the mean of the finite values): z-normalised distances
  // ignore it, and the statistics below lose fewer digits to a large offset.
  double reference = 0.0;
  // The shifted series with NaN/Inf replaced by 0, as stumpy zero-fills before it
  // traverses the diagonals: the covariance recurrence then stays finite across a gap,
  // and windows that touch the gap are masked out below.
  std::vector<double> values;
  std::vector<double> mean;  // [l]
  // 1 / sqrt(sum (x - mean)^2) for windows that are finite and not constant; NaN for the
  // others and for the padding, so the kernel skips them without a branch.
  std::vector<double> inv_norm;  // [l + padding]
  // SCAMP's covariance update terms (Zimmerman et al., "Matrix Profile XIV", SoCC 2019):
  //   cov(i, j) = cov(i - 1, j - 1) + df[i] * dg[j] + df[j] * dg[i]
  // with df[i] = (x[i+m-1] - x[i-1]) / 2 and dg[i] = (x[i+m-1] - mean[i]) +
  // (x[i-1] - mean[i-1]); df[0] = dg[0] = 0 so row 0 adds nothing.
  std::vector<double> df;              // [l + padding]
  std::vector<double> dg;              // [l + padding]
  std::vector<std::uint8_t> finite;    // [l] window has no NaN/Inf
  std::vector<std::uint8_t> constant;  // [l] finite and standard deviation < FLAT_STDDEV
};

// O(n + l * m / REFRESH) time: means and centred sums of squares slide with Welford's
// update and are recomputed exactly (two-pass) every REFRESH windows and wherever the
// sliding value says the window is nearly flat, so the flat test does not depend on
// rounding that slid in from earlier windows.
[[nodiscard]] WindowStatistics compute_window_statistics(std::span<const double> series,
                                                         std::size_t window, std::size_t padding);

// sum_k (x[a+k] - mean[a]) * (x[b+k] - mean[b]) over the window, two-pass exact.
[[nodiscard]] double centred_dot(const WindowStatistics& stats, std::size_t a,
                                 std::size_t b) noexcept;

}  // namespace anomstream::timeseries::detail
