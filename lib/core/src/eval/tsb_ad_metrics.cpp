#include "anomstream/eval/tsb_ad_metrics.hpp"

#include "anomstream/eval/anomaly_ranges.hpp"
#include "anomstream/eval/auc.hpp"
#include "anomstream/eval/detail/range_curve_engine.hpp"

namespace anomstream::eval {

Result<TsbAdMetrics> tsb_ad_metrics(std::span<const std::uint8_t> labels,
                                    std::span<const double> scores, std::size_t sliding_window,
                                    std::size_t thresholds) {
  if (auto ok = detail::validate_curve_options(sliding_window, thresholds); !ok) {
    return std::unexpected(ok.error());
  }
  auto point = point_auc(labels, scores);  // validates labels and scores
  if (!point) {
    return std::unexpected(point.error());
  }
  TsbAdMetrics metrics;
  metrics.auc_roc = point->roc;
  metrics.auc_pr = point->pr;
  metrics.auc_pr_trapezoid = point->pr_trapezoid;

  detail::RangeCurveEngine engine(labels, scores, thresholds);
  const VusResult vus = detail::vus_over_buffers(engine, sliding_window);
  metrics.vus_roc = vus.vus_roc;
  metrics.vus_pr = vus.vus_pr;

  detail::WindowTally tally;
  engine.tally(sliding_window, detail::SegmentRule::nonzero_run, tally);
  const detail::CurveAreas range = detail::vus_package_range_areas(engine, tally);
  metrics.range_auc_roc = range.roc;
  metrics.range_auc_pr = range.pr;
  return metrics;
}

}  // namespace anomstream::eval
