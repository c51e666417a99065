#include "anomstream/eval/detail/range_curve_engine.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "anomstream/eval/detail/ramp_labels.hpp"
#include "anomstream/eval/vus.hpp"

namespace anomstream::eval::detail {

namespace {

// numpy `linspace(0, T - 1, K).astype(int)`: k * ((T - 1) / (K - 1)) in double,
// truncated, with the last rank pinned to T - 1. The double arithmetic is the same as
// numpy's, so the ranks agree exactly, including where k * step lands just below an
// integer.
std::size_t threshold_rank(std::size_t k, std::size_t length, std::size_t thresholds) {
  if (thresholds == 1) {
    return 0;
  }
  if (k + 1 == thresholds) {
    return length - 1;
  }
  const double step = static_cast<double>(length - 1) / static_cast<double>(thresholds - 1);
  return static_cast<std::size_t>(static_cast<double>(k) * step);
}

template <class T>
void cumulate(std::vector<T>& values) {
  for (std::size_t k = 1; k < values.size(); ++k) {
    values[k] += values[k - 1];
  }
}

}  // namespace

RangeCurveEngine::RangeCurveEngine(std::span<const std::uint8_t> labels,
                                   std::span<const double> scores, std::size_t thresholds)
    : length_(labels.size()) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == 0) {
      continue;
    }
    ++anomalies_;
    if (i > 0 && labels[i - 1] != 0) {
      ranges_.back().last = i;
    } else {
      ranges_.push_back({i, i});
    }
  }

  std::vector<double> sorted(scores.begin(), scores.end());
  std::sort(sorted.begin(), sorted.end(), std::greater<>{});
  threshold_values_.resize(thresholds);
  for (std::size_t k = 0; k < thresholds; ++k) {
    threshold_values_[k] = sorted[threshold_rank(k, length_, thresholds)];
  }

  // A point is predicted from the first k with theta_k <= score on. With K >= 2,
  // theta_{K-1} is the smallest score and every point is predicted at the last
  // threshold; with K = 1 (theta_0 the largest score) a point may never be, which is
  // k = K: every per-threshold histogram has a spare last bin for it.
  first_predicted_.resize(length_);
  predicted_.assign(thresholds + 1, 0);
  anomalies_predicted_.assign(thresholds + 1, 0);
  for (std::size_t i = 0; i < length_; ++i) {
    const double score = scores[i];
    const auto it = std::partition_point(threshold_values_.begin(), threshold_values_.end(),
                                         [score](double theta) { return theta > score; });
    const auto k = static_cast<std::size_t>(it - threshold_values_.begin());
    first_predicted_[i] = static_cast<std::uint32_t>(k);
    ++predicted_[k];
    anomalies_predicted_[k] += labels[i];
  }
  cumulate(predicted_);
  cumulate(anomalies_predicted_);
  predicted_.pop_back();
  anomalies_predicted_.pop_back();

  reset_segment_minima();
}

void RangeCurveEngine::reset_segment_minima() {
  range_minima_.resize(ranges_.size());
  for (std::size_t r = 0; r < ranges_.size(); ++r) {
    const auto begin = first_predicted_.begin() + static_cast<std::ptrdiff_t>(ranges_[r].first);
    const auto end = first_predicted_.begin() + static_cast<std::ptrdiff_t>(ranges_[r].last + 1);
    range_minima_[r] = *std::min_element(begin, end);
  }
  minima_half_ = 0;
}

void RangeCurveEngine::tally(std::size_t window, SegmentRule rule, WindowTally& out) {
  // Beyond the series length a wider buffer reaches no further point.
  const std::size_t half = std::min(window / 2, length_);
  extend_segment_minima(half);
  add_ramps(window, out);
  count_segments(half, rule, out);
}

void RangeCurveEngine::extend_segment_minima(std::size_t half) {
  if (half < minima_half_) {
    reset_segment_minima();
  }
  for (std::size_t h = minima_half_ + 1; h <= half; ++h) {
    for (std::size_t r = 0; r < ranges_.size(); ++r) {
      if (ranges_[r].first >= h) {
        range_minima_[r] = std::min(range_minima_[r], first_predicted_[ranges_[r].first - h]);
      }
      if (ranges_[r].last + h < length_) {
        range_minima_[r] = std::min(range_minima_[r], first_predicted_[ranges_[r].last + h]);
      }
    }
  }
  minima_half_ = std::max(minima_half_, half);
}

void RangeCurveEngine::add_ramps(std::size_t window, WindowTally& out) {
  out.ramp_hits.assign(thresholds() + 1, 0.0);
  out.ramp_sum = 0.0;
  for_each_ramp_point(ranges_, length_, window, ramp_values_,
                      [&](std::size_t p, double label, std::size_t /*distance*/) {
                        out.ramp_hits[first_predicted_[p]] += label;
                        out.ramp_sum += label;
                      });
  cumulate(out.ramp_hits);
  out.ramp_hits.pop_back();
}

void RangeCurveEngine::count_segments(std::size_t half, SegmentRule rule,
                                      WindowTally& out) const {
  out.segments_hit.assign(thresholds() + 1, 0);
  out.segments = 0;
  // Two buffered ranges share a segment when their buffers overlap; under the VUS
  // package's run segmentation also when they merely touch.
  const std::size_t touch = rule == SegmentRule::nonzero_run ? 1 : 0;
  for (std::size_t r = 0; r < ranges_.size(); ++r) {
    std::uint32_t minimum = range_minima_[r];
    while (r + 1 < ranges_.size() && ranges_[r].last + 2 * half + touch >= ranges_[r + 1].first) {
      ++r;
      minimum = std::min(minimum, range_minima_[r]);
    }
    ++out.segments_hit[minimum];
    ++out.segments;
  }
  cumulate(out.segments_hit);
  out.segments_hit.pop_back();
}

Status validate_curve_options(std::size_t window, std::size_t thresholds) {
  if (auto ok = require_in_range<std::size_t>(thresholds, 1, MAX_THRESHOLDS, "thresholds");
      !ok) {
    return ok;
  }
  return require_in_range<std::size_t>(window, 0, MAX_SLIDING_WINDOW, "window");
}

}  // namespace anomstream::eval::detail
