#pragma once
// ADWIN: adaptive windowing change detector over a real-valued stream.

#include <cstdint>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::drift {

// Whose ADWIN2 the detector reproduces; they differ only in which splits the cut test
// tries and how long each side must be.
enum class AdwinConventions : std::uint8_t {
  // MOA (the paper authors' Java code): every bucket boundary is a candidate split and
  // both sides must hold more than min_window_length + 1 points.
  moa,
  // river's Cython ADWIN: both sides must hold at least min_window_length points, and
  // the scan skips each row's newest bucket, which then counts in W1 although it is
  // older than later rows' buckets (river's loop runs one short); the window variance
  // is used as computed, without clamping a rounding-negative value to 0.
  river,
};

struct AdwinConfig {
  double delta = 0.002;             // confidence of each cut test, in [1e-12, 0.5]
  std::uint32_t max_buckets = 5;    // M: buckets kept per row, in [2, 64]
  std::uint32_t max_rows = 32;      // rows of the histogram, in [2, 48]; caps the width
  std::uint32_t clock = 32;         // cut tests run every `clock` points, in [1, 65536]
  // Shortest sub-window (see AdwinConventions for how each counts it), in [1, 1e6];
  // the bound's effective length of a side of n points is n - min_window_length + 1.
  std::uint32_t min_window_length = 5;
  // No cut test until the window holds more than this many points, in [0, 1e9].
  std::uint32_t grace_period = 10;
  AdwinConventions conventions = AdwinConventions::moa;

  friend bool operator==(const AdwinConfig&, const AdwinConfig&) = default;
};

// What one update reports: whether the window was cut (a change point) and the
// window after the update.
struct AdwinVerdict {
  bool change = false;
  std::uint64_t width = 0;
  double mean = 0.0;

  friend bool operator==(const AdwinVerdict&, const AdwinVerdict&) = default;
};

// Plain state of an AdwinDetector. Buckets are listed row by row (row r holds buckets
// of 2^r points), oldest first within a row; `row_counts[r]` says how many belong to
// row r. `total` and `variance` are the running window sums, kept because their
// rounding depends on the order of past updates.
struct AdwinSnapshot {
  AdwinConfig config;
  std::vector<std::uint32_t> row_counts;
  std::vector<double> bucket_totals;
  std::vector<double> bucket_variances;  // sum of squared deviations within the bucket
  std::uint64_t width = 0;
  double total = 0.0;
  double variance = 0.0;  // sum of squared deviations over the window
  std::uint64_t time = 0;
  std::uint64_t detections = 0;

  friend bool operator==(const AdwinSnapshot&, const AdwinSnapshot&) = default;
};

// ADWIN2 (Bifet & Gavaldà, "Learning from Time-Changing Data with Adaptive Windowing",
// SDM 2007), with MOA's or river's conventions (AdwinConventions). The window is an
// exponential histogram whose row r holds at most M buckets of 2^r points (each bucket
// keeps its sum and its sum of squared deviations), so W points cost O(M log(W/M))
// buckets. Every `clock` points, once the window holds more than `grace_period`, splits
// of the window at bucket boundaries into an old part W0 and a recent part W1 are
// tested with the variance-aware bound of the paper (MOA's form):
//   |mean(W0) - mean(W1)| > sqrt(2 m v d) + 2/3 d m,
//   m = 1/(n0 - L + 1) + 1/(n1 - L + 1),  L = min_window_length,
//   v = variance of W,  d = ln(2 ln(W) / delta),
// and the oldest bucket is dropped while a split passes; an update that drops any is a
// change point. With probability at least 1 - delta a test on a stationary window does
// not cut. With the river conventions and a fresh detector after each reported change
// (river's ADWIN restarts its window), the detections are river's; without the restart
// they are those of river's AdaptiveWindowing helper (both checked against river's
// outputs, docs/features.md).
// Memory: fixed at create, sizeof (152 B) + 16 (M + 1) R + 4 R bytes (R = max_rows;
// 3352 B by default), nothing allocated per update.
// Time: O(1) amortised per update plus O(M log W) per cut test, i.e. O(M log W / clock)
// amortised.
// Limits: the window is capped at M (2^R - 1) points: beyond it the oldest bucket is
// forgotten without a change being reported.
// Errors: non-finite input is rejected with ErrorCode::non_finite and leaves the state
// unchanged.
class AdwinDetector {
 public:
  static Result<AdwinDetector> create(const AdwinConfig& config);
  static Result<AdwinDetector> restore(const AdwinSnapshot& snapshot);

  // Adds one observation; tells whether the window was cut at this step.
  Result<AdwinVerdict> update(double value) noexcept;

  [[nodiscard]] std::uint64_t width() const noexcept { return width_; }
  [[nodiscard]] double mean() const noexcept;
  // Population variance of the window (0 for an empty window).
  [[nodiscard]] double variance() const noexcept;
  [[nodiscard]] std::uint64_t detections() const noexcept { return detections_; }
  [[nodiscard]] std::uint64_t time() const noexcept { return time_; }
  [[nodiscard]] std::uint32_t rows_used() const noexcept { return rows_used_; }
  [[nodiscard]] std::uint64_t bucket_count() const noexcept;
  [[nodiscard]] const AdwinConfig& config() const noexcept { return config_; }
  // Bytes owned by this detector (object plus its fixed bucket arrays).
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] AdwinSnapshot snapshot() const;

 private:
  explicit AdwinDetector(const AdwinConfig& config);

  [[nodiscard]] std::size_t slot(std::uint32_t row, std::uint32_t index) const noexcept {
    return static_cast<std::size_t>(row) * (config_.max_buckets + 1) + index;
  }
  void insert(double value) noexcept;
  void compress() noexcept;
  std::uint64_t drop_oldest() noexcept;
  void remove_front(std::uint32_t row, std::uint32_t count) noexcept;
  bool cut_once() noexcept;

  AdwinConfig config_;
  std::vector<double> totals_;     // (M + 1) slots per row; slot M is transient
  std::vector<double> variances_;
  std::vector<std::uint32_t> counts_;
  std::uint32_t rows_used_ = 0;
  std::uint64_t width_ = 0;
  double total_ = 0.0;
  double variance_ = 0.0;
  std::uint64_t time_ = 0;
  std::uint64_t detections_ = 0;
};

}  // namespace anomstream::drift
