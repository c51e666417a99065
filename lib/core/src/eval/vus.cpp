#include "anomstream/eval/vus.hpp"

#include <algorithm>
#include <string>

#include "anomstream/eval/anomaly_ranges.hpp"
#include "anomstream/eval/detail/range_curve_engine.hpp"

namespace anomstream::eval {

namespace detail {

CurveAreas tsb_ad_buffer_areas(const RangeCurveEngine& engine, const WindowTally& tally) {
  const auto anomalies = static_cast<double>(engine.anomalies());
  const auto length = static_cast<double>(engine.length());
  const auto segments = static_cast<double>(tally.segments);
  CurveAreas areas;
  double prev_tpr = 0.0;
  double prev_fpr = 0.0;
  for (std::size_t k = 0; k < engine.thresholds(); ++k) {
    const auto predicted = static_cast<double>(engine.predicted()[k]);
    const double ramp = tally.ramp_hits[k];
    const double tp = static_cast<double>(engine.anomalies_predicted()[k]) + ramp;
    // The reference's N_labels sums the labels after zeroing the ramp labels of
    // unpredicted points, so P_new moves with the threshold.
    const double n_labels = anomalies + ramp;
    const double p_new = (anomalies + n_labels) / 2.0;
    const double recall = std::min(tp / p_new, 1.0);
    const double tpr = recall * (static_cast<double>(tally.segments_hit[k]) / segments);
    const double fpr = (predicted - tp) / (length - p_new);
    const double precision = tp / predicted;
    areas.roc += (fpr - prev_fpr) * ((tpr + prev_tpr) / 2.0);
    areas.pr += (tpr - prev_tpr) * precision;
    prev_tpr = tpr;
    prev_fpr = fpr;
  }
  areas.roc += (1.0 - prev_fpr) * ((1.0 + prev_tpr) / 2.0);
  return areas;
}

VusResult vus_over_buffers(RangeCurveEngine& engine, std::size_t window) {
  WindowTally tally;
  VusResult result;
  result.pr_per_window.reserve(window + 1);
  result.roc_per_window.reserve(window + 1);
  double roc_sum = 0.0;
  double pr_sum = 0.0;
  for (std::size_t w = 0; w <= window; ++w) {
    engine.tally(w, SegmentRule::tsb_ad_buffer, tally);
    const CurveAreas areas = tsb_ad_buffer_areas(engine, tally);
    result.roc_per_window.push_back(areas.roc);
    result.pr_per_window.push_back(areas.pr);
    // Python's sum() over the per-buffer areas: left to right.
    roc_sum += areas.roc;
    pr_sum += areas.pr;
  }
  const auto windows = static_cast<double>(window + 1);
  result.vus_roc = roc_sum / windows;
  result.vus_pr = pr_sum / windows;
  return result;
}

}  // namespace detail

Result<VusResult> range_vus(std::span<const std::uint8_t> labels, std::span<const double> scores,
                            std::size_t window, std::size_t thresholds) {
  if (auto ok = detail::validate_curve_options(window, thresholds); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = validate_labels_and_scores(labels, scores); !ok) {
    return std::unexpected(ok.error());
  }
  detail::RangeCurveEngine engine(labels, scores, thresholds);
  return detail::vus_over_buffers(engine, window);
}

Result<double> vus_pr(std::span<const std::uint8_t> labels, std::span<const double> scores,
                      std::size_t window, std::size_t thresholds) {
  auto result = range_vus(labels, scores, window, thresholds);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->vus_pr;
}

Result<double> vus_roc(std::span<const std::uint8_t> labels, std::span<const double> scores,
                       std::size_t window, std::size_t thresholds) {
  auto result = range_vus(labels, scores, window, thresholds);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->vus_roc;
}

}  // namespace anomstream::eval
