#include "anomstream/eval/range_auc.hpp"

#include <algorithm>

#include "anomstream/eval/anomaly_ranges.hpp"
#include "anomstream/eval/detail/range_curve_engine.hpp"

namespace anomstream::eval {

namespace detail {

CurveAreas vus_package_range_areas(const RangeCurveEngine& engine, const WindowTally& tally) {
  const auto anomalies = static_cast<double>(engine.anomalies());
  const auto length = static_cast<double>(engine.length());
  const auto segments = static_cast<double>(tally.segments);
  // sum(labels) of the extended labels: 1 on every anomaly point plus the ramps.
  const double extended_sum = anomalies + tally.ramp_sum;
  const double p_new = (anomalies + extended_sum) / 2.0;
  CurveAreas areas;
  double prev_tpr = 0.0;
  double prev_fpr = 0.0;
  double prev_precision = 1.0;
  for (std::size_t k = 0; k < engine.thresholds(); ++k) {
    const auto predicted = static_cast<double>(engine.predicted()[k]);
    const double tp = static_cast<double>(engine.anomalies_predicted()[k]) + tally.ramp_hits[k];
    const double recall = std::min(tp / p_new, 1.0);
    const double tpr = recall * (static_cast<double>(tally.segments_hit[k]) / segments);
    const double fpr = (predicted - tp) / (length - p_new);
    const double precision = tp / predicted;
    areas.roc += (fpr - prev_fpr) * ((tpr + prev_tpr) / 2.0);
    areas.pr += (tpr - prev_tpr) * ((precision + prev_precision) / 2.0);
    prev_tpr = tpr;
    prev_fpr = fpr;
    prev_precision = precision;
  }
  areas.roc += (1.0 - prev_fpr) * ((1.0 + prev_tpr) / 2.0);
  return areas;
}

}  // namespace detail

Result<RangeAucResult> range_auc(std::span<const std::uint8_t> labels,
                                 std::span<const double> scores, std::size_t window,
                                 std::size_t thresholds) {
  if (auto ok = detail::validate_curve_options(window, thresholds); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = validate_labels_and_scores(labels, scores); !ok) {
    return std::unexpected(ok.error());
  }
  detail::RangeCurveEngine engine(labels, scores, thresholds);
  detail::WindowTally tally;
  engine.tally(window, detail::SegmentRule::nonzero_run, tally);
  const detail::CurveAreas areas = detail::vus_package_range_areas(engine, tally);
  return RangeAucResult{areas.roc, areas.pr};
}

Result<double> range_auc_pr(std::span<const std::uint8_t> labels, std::span<const double> scores,
                            std::size_t window, std::size_t thresholds) {
  auto result = range_auc(labels, scores, window, thresholds);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->pr;
}

Result<double> range_auc_roc(std::span<const std::uint8_t> labels,
                             std::span<const double> scores, std::size_t window,
                             std::size_t thresholds) {
  auto result = range_auc(labels, scores, window, thresholds);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->roc;
}

}  // namespace anomstream::eval
