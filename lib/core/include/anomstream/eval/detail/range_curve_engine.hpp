#pragma once
// Shared engine of the range-based curves (VUS and range-AUC): the reference's
// threshold schedule and, per buffer length, the ramp labels and segment hits tallied
// by threshold, so a whole curve costs O(T + K) instead of the reference's O(K * T).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/eval/anomaly_ranges.hpp"
#include "anomstream/eval/vus.hpp"

namespace anomstream::eval::detail {

// How buffered anomaly ranges group into the segments the existence ratio counts.
enum class SegmentRule : std::uint8_t {
  // TSB-AD `new_sequence`: ranges i and i+1 share a segment unless
  // last_i + w/2 < first_{i+1} - w/2 (two buffers that only touch stay apart).
  tsb_ad_buffer,
  // VUS package `range_convers_new` on the extended labels: maximal non-zero runs, so
  // buffers that touch merge.
  nonzero_run,
};

// What one buffer length contributes at each threshold k (all arrays of length K and
// cumulative in k, because the predicted sets grow with k).
struct WindowTally {
  std::vector<double> ramp_hits;           // sum of ramp labels of predicted points
  std::vector<std::size_t> segments_hit;   // segments holding a predicted point
  std::size_t segments = 0;                // number of segments
  double ramp_sum = 0.0;                   // sum of all ramp labels
};

// Precomputes, for labels and scores that passed validate_labels_and_scores:
//  - the K thresholds theta_k = s_desc[floor(k (T-1) / (K-1))] (numpy
//    `linspace(0, T-1, K).astype(int)` ranks of the scores sorted descending, ties
//    included: a point is predicted at k when score >= theta_k);
//  - for each point the first k at which it is predicted;
//  - the cumulative counts of predicted points and predicted anomaly points.
// Then `tally(w, rule)` returns the buffer-w ramp labels (TSB-AD `sequencing`:
// sqrt(1 - d/w) at distance d in 1..w/2 outside a range, 1 where two ramps or a range
// overlap) summed per first-predicted threshold, and the segments hit per threshold.
// Memory O(T + K + R); construction O(T log T); tally O(R + ramp points + K), where
// the ramp points number at most min(T, R * w). Calls with a shorter buffer than the
// previous call restart the incremental segment minima (O(R * w)).
class RangeCurveEngine {
 public:
  RangeCurveEngine(std::span<const std::uint8_t> labels, std::span<const double> scores,
                   std::size_t thresholds);

  [[nodiscard]] std::size_t length() const noexcept { return length_; }
  [[nodiscard]] std::size_t thresholds() const noexcept { return threshold_values_.size(); }
  [[nodiscard]] std::size_t anomalies() const noexcept { return anomalies_; }
  [[nodiscard]] std::span<const AnomalyRange> ranges() const noexcept { return ranges_; }
  // theta_k, non-increasing in k.
  [[nodiscard]] std::span<const double> threshold_values() const noexcept {
    return threshold_values_;
  }
  // Points with score >= theta_k.
  [[nodiscard]] std::span<const std::size_t> predicted() const noexcept { return predicted_; }
  // Anomaly points with score >= theta_k.
  [[nodiscard]] std::span<const std::size_t> anomalies_predicted() const noexcept {
    return anomalies_predicted_;
  }

  // Fills `out` for buffer length `window` (ramps of half-width window / 2).
  void tally(std::size_t window, SegmentRule rule, WindowTally& out);

 private:
  void reset_segment_minima();
  void extend_segment_minima(std::size_t half);
  void add_ramps(std::size_t window, WindowTally& out);
  void count_segments(std::size_t half, SegmentRule rule, WindowTally& out) const;

  std::size_t length_ = 0;
  std::size_t anomalies_ = 0;
  std::vector<AnomalyRange> ranges_;
  std::vector<double> threshold_values_;
  std::vector<std::uint32_t> first_predicted_;  // per point
  std::vector<std::size_t> predicted_;
  std::vector<std::size_t> anomalies_predicted_;
  // Per range: the smallest first-predicted threshold over the range widened by
  // `minima_half_` on both sides (clipped to the series).
  std::vector<std::uint32_t> range_minima_;
  std::size_t minima_half_ = 0;
  std::vector<double> ramp_values_;  // scratch: sqrt(1 - d / w) for d = 0..w/2
};

}  // namespace anomstream::eval::detail

namespace anomstream::eval::detail {

// ROC area and PR area of one curve.
struct CurveAreas {
  double roc = 0.0;
  double pr = 0.0;
};

// Rejects `thresholds` outside [1, MAX_THRESHOLDS] and `window` above
// MAX_SLIDING_WINDOW (ErrorCode::invalid_config).
[[nodiscard]] Status validate_curve_options(std::size_t window, std::size_t thresholds);

// TSB-AD `RangeAUC_volume_opt` areas of one buffer length (right-step PR).
[[nodiscard]] CurveAreas tsb_ad_buffer_areas(const RangeCurveEngine& engine,
                                             const WindowTally& tally);

// Buffers w = 0..window through tsb_ad_buffer_areas, and their means.
[[nodiscard]] VusResult vus_over_buffers(RangeCurveEngine& engine, std::size_t window);

// VUS package `RangeAUC` areas (constant P_new, trapezoidal PR).
[[nodiscard]] CurveAreas vus_package_range_areas(const RangeCurveEngine& engine,
                                                 const WindowTally& tally);

}  // namespace anomstream::eval::detail
