#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::stats {

struct TDigestConfig {
  // delta: the k1 scale spans delta / 2 units, so at most ~delta centroids survive a
  // merge. Larger is more accurate and proportionally larger and slower to query.
  double compression = 100.0;
};

// Plain state of a TDigest: the merged centroids (ascending means, positive integer
// weights), the points still waiting in the buffer (arrival order), the exact extremes,
// and how many merges have run (its parity picks the next merge direction).
struct TDigestSnapshot {
  double compression = 100.0;
  std::vector<double> means;
  std::vector<double> weights;
  std::vector<double> buffer;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::uint64_t merge_count = 0;
  friend bool operator==(const TDigestSnapshot&, const TDigestSnapshot&) = default;
};

// Streaming quantile and CDF sketch: Dunning's merging t-digest with the k1 (arcsine)
// scale function k(q) = delta / (2 pi) * asin(2q - 1), as in Dunning & Ertl, "Computing
// extremely accurate quantiles using t-digests" (2019). Points are buffered and merged
// into the centroids in batches (radix-sorted buffer, one linear merge pass alternating
// direction), so `add` costs ~45 ns amortised; a centroid may span at most one unit of
// k, which keeps centroids small near q = 0 and 1 and makes the tail quantiles the most
// accurate: at compression 100 over 1e6 points the rank error is below 1e-3 at q = 0.001
// and 0.999, 5e-3 at 0.01 and 0.99 and 1e-2 at the median (tested on uniform, normal,
// lognormal and sorted input). Memory is bounded by the compression alone: at most
// ceil(delta) + 4 centroids plus a 10 * ceil(delta) point buffer, about 352 * delta
// bytes (35 KB at delta = 100), allocated once at creation. `quantile` and `cdf` first
// merge the buffer, then take O(delta) time. Failure modes: non-finite input is
// rejected with ErrorCode::non_finite; queries on an empty digest return
// ErrorCode::not_ready; q outside [0, 1] is ErrorCode::invalid_input; counts beyond
// 2^53 lose exactness. `merge` allocates temporaries the size of both digests and
// frees them before returning.
class TDigest {
 public:
  static constexpr double MIN_COMPRESSION = 20.0;
  static constexpr double MAX_COMPRESSION = 10000.0;
  static constexpr std::size_t BUFFER_FACTOR = 10;  // buffer = 10 * ceil(compression)

  [[nodiscard]] static Result<TDigest> create(const TDigestConfig& config);

  // Adds one point (amortised O(1), no allocation). -0.0 is stored as +0.0.
  [[nodiscard]] Status add(double value) noexcept;

  // Pools `other` (any compression) into this digest, which keeps its own compression.
  void merge(const TDigest& other);

  // Merges the buffered points into the centroids. Queries do this themselves.
  void flush() noexcept;

  // Value below which a fraction q of the points lie, interpolated linearly between
  // centroid means placed at their mid ranks, with the exact min at rank 0 and max at
  // rank n. Merges the buffer first.
  [[nodiscard]] Result<double> quantile(double q) noexcept;

  // Fraction of points <= x on the same piecewise-linear curve (ties take the middle of
  // the tied ranks). Merges the buffer first.
  [[nodiscard]] Result<double> cdf(double x) noexcept;

  [[nodiscard]] double compression() const noexcept { return compression_; }
  [[nodiscard]] std::uint64_t count() const noexcept;
  [[nodiscard]] double min() const noexcept { return min_; }
  [[nodiscard]] double max() const noexcept { return max_; }
  // Centroids after the last merge (the buffered points are not included).
  [[nodiscard]] std::size_t centroid_count() const noexcept { return centroid_count_; }
  [[nodiscard]] std::size_t max_centroids() const noexcept { return means_.size(); }
  [[nodiscard]] std::size_t buffer_capacity() const noexcept { return buffer_.size(); }

  [[nodiscard]] TDigestSnapshot snapshot() const;
  // Rejects (ErrorCode::corrupt_snapshot) a compression out of range, mismatched or
  // oversized arrays, non-finite values, non-positive or non-integer weights, means out
  // of order or outside [min, max].
  [[nodiscard]] static Result<TDigest> restore(const TDigestSnapshot& snapshot);

 private:
  explicit TDigest(double compression);

  void compress_into_centroids(std::span<const double> item_means,
                               std::span<const double> item_weights,
                               double total_weight) noexcept;

  double compression_;
  // Merged centroids: [0, centroid_count_) of fixed-capacity arrays.
  std::vector<double> means_;
  std::vector<double> weights_;
  std::size_t centroid_count_ = 0;
  double merged_weight_ = 0.0;  // sum of weights_[0, centroid_count_)
  // Unmerged points as order-preserving integer keys, plus the radix sort's scratch.
  std::vector<std::uint64_t> buffer_;
  std::vector<std::uint64_t> sort_scratch_;
  std::size_t buffered_ = 0;
  // Sorted union of centroids and buffer, input of the compression pass.
  std::vector<double> merge_means_;
  std::vector<double> merge_weights_;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  std::uint64_t merge_count_ = 0;
};

}  // namespace anomstream::stats
