#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/timeseries/diagonal_executor.hpp"

namespace anomstream::timeseries {

struct MatrixProfileConfig {
  // Subsequence length m. Must be in [MIN_WINDOW, n] for a series of n points (stumpy's
  // bound); when l = n - m + 1 leaves no neighbour outside the exclusion zone the
  // affected profile entries are simply infinite.
  std::size_t window = 0;
};

// A window of unusual shape: its nearest neighbour is far away.
struct Discord {
  std::size_t index = 0;       // start of the subsequence
  std::int64_t neighbor = -1;  // its nearest neighbour
  double distance = 0.0;       // z-normalised Euclidean distance to it
  friend bool operator==(const Discord&, const Discord&) = default;
};

// A pair of windows of (nearly) the same shape.
struct Motif {
  std::size_t index = 0;     // start of the subsequence
  std::size_t neighbor = 0;  // start of its nearest neighbour
  double distance = 0.0;     // z-normalised Euclidean distance between them
  friend bool operator==(const Motif&, const Motif&) = default;
};

// Exact matrix profile of a univariate series (self-join): for every window of length m,
// the z-normalised Euclidean distance to its nearest non-trivial neighbour, which
// neighbour, and the same restricted to neighbours on the left and on the right. The
// highest values are discords (anomalies), the lowest motifs. Implements STOMP (Zhu et
// al., "Matrix Profile II", ICDM 2016; the profile of Yeh et al., "Matrix Profile I",
// ICDM 2016) in its diagonal form with SCAMP's streaming covariance update (Zimmerman
// et al., "Matrix Profile XIV", SoCC 2019): Pearson correlations are maximised over the
// l(l-1)/2 cells of the upper triangle, 16 diagonals at a time in vector registers, and
// converted to distances once at the end, d = sqrt(2m(1 - rho)).
// It reproduces stumpy's `stump(T, m)` (all 16 shared reference cases agree to 1e-8
// relative): exclusion zone ceil(m/4) on each side; a window holding NaN/Inf has an
// infinite profile and is nobody's neighbour; a window with standard deviation below
// 1e-7 is flat, two flat windows are at distance 0 and a flat and a non-flat one at
// sqrt(m); correlations are capped at 1 and squared distances below 1e-14 read as 0.
// Where several neighbours tie, any of them may be reported.
// Precision: the series is re-centred on its mean and the running covariances restart
// from exact dot products every max(4096, 64m) rows, so a 1e5-point random walk, with or
// without a 1e6 offset, matches a brute-force search to ~1e-12 relative. As in stumpy,
// distances near 0 carry an absolute error of about sqrt(2m * 1e-15) from the Pearson
// form, and a level jump many orders of magnitude above the local variation leaves
// rounding in the covariances of the diagonals it crosses until the next restart (a
// 1e6 step in a unit-step random walk: up to ~1e-4 relative after it; stumpy, which
// never restarts, shares the limitation).
// Cost: l^2 / 2 cell updates (0.36-0.55 ns each on an AVX2 core, 0.65-1 ns with SSE2 only)
// plus O(n m / 64) for the window statistics; the diagonals split over the executor's
// tasks. Memory: about 90 bytes per point for the statistics and the result, plus 32
// bytes per point for each task's partial profile; nothing else grows with n.
// Failure modes, returned as Error: window outside [3, n]; a series shorter than 3;
// finite values beyond +/-1e100 (their squared deviations could overflow). Only
// std::bad_alloc or an exception from the caller's executor can escape.
class MatrixProfile {
 public:
  static constexpr std::size_t MIN_WINDOW = 3;
  static constexpr double MAX_ABS_VALUE = 1e100;

  // Single-threaded.
  [[nodiscard]] static Result<MatrixProfile> compute(std::span<const double> series,
                                                     const MatrixProfileConfig& config);
  // Splits the diagonals over `executor.concurrency()` tasks. The profile values are
  // bitwise the same as single-threaded; indices can differ only between exact ties.
  [[nodiscard]] static Result<MatrixProfile> compute(std::span<const double> series,
                                                     const MatrixProfileConfig& config,
                                                     DiagonalExecutor& executor);

  [[nodiscard]] std::size_t window() const noexcept { return window_; }
  [[nodiscard]] std::size_t series_length() const noexcept { return series_length_; }
  // ceil(m / 4): windows i and j are trivial matches when |i - j| <= exclusion_zone().
  [[nodiscard]] std::size_t exclusion_zone() const noexcept { return exclusion_zone_; }
  // Number of windows, l = n - m + 1; every array below has this length.
  [[nodiscard]] std::size_t size() const noexcept { return profile_.size(); }

  // Distance to the nearest neighbour (inf where none), and its index (-1 where none).
  [[nodiscard]] const std::vector<double>& profile() const noexcept { return profile_; }
  [[nodiscard]] const std::vector<std::int64_t>& index() const noexcept { return index_; }
  // The same over neighbours j < i (left) and j > i (right). profile()[i] is exactly
  // min(left_profile()[i], right_profile()[i]).
  [[nodiscard]] const std::vector<double>& left_profile() const noexcept { return left_profile_; }
  [[nodiscard]] const std::vector<std::int64_t>& left_index() const noexcept { return left_index_; }
  [[nodiscard]] const std::vector<double>& right_profile() const noexcept { return right_profile_; }
  [[nodiscard]] const std::vector<std::int64_t>& right_index() const noexcept {
    return right_index_;
  }

  // Up to k windows with the largest finite profile values, highest first, each at
  // least `exclusion + 1` away from those before it (default: exclusion_zone(), as in
  // stumpy; pass window() for non-overlapping discords). Ties go to the lower index.
  // Fewer than k come back when the series runs out. k = 0 is ErrorCode::invalid_input.
  [[nodiscard]] Result<std::vector<Discord>> top_discords(
      std::size_t k, std::optional<std::size_t> exclusion = std::nullopt) const;

  // Up to k nearest-neighbour pairs with the smallest profile values, closest first;
  // neither window of a pair lies within `exclusion` of a window of an earlier pair.
  [[nodiscard]] Result<std::vector<Motif>> top_motifs(
      std::size_t k, std::optional<std::size_t> exclusion = std::nullopt) const;

  // Per-point anomaly score aligned to the input (length series_length()): point t gets
  // the largest finite profile value among the windows that contain it, windows
  // max(0, t - m + 1) .. min(t, l - 1), or 0 when none of them is finite (inside a
  // NaN/Inf gap). A discord thus lifts every point it spans; O(n) time.
  [[nodiscard]] std::vector<double> point_scores() const;

 private:
  MatrixProfile() = default;

  std::size_t window_ = 0;
  std::size_t series_length_ = 0;
  std::size_t exclusion_zone_ = 0;
  std::vector<double> profile_;
  std::vector<std::int64_t> index_;
  std::vector<double> left_profile_;
  std::vector<std::int64_t> left_index_;
  std::vector<double> right_profile_;
  std::vector<std::int64_t> right_index_;
};

}  // namespace anomstream::timeseries
