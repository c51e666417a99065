#pragma once
// The threshold-free metrics of a TSB-AD evaluation in one call.

#include <cstddef>
#include <cstdint>
#include <span>

#include "anomstream/core/error.hpp"
#include "anomstream/eval/vus.hpp"

namespace anomstream::eval {

// The threshold-free metrics of one scored series (see tsb_ad_metrics).
struct TsbAdMetrics {
  double vus_pr = 0.0;
  double vus_roc = 0.0;
  double range_auc_pr = 0.0;
  double range_auc_roc = 0.0;
  double auc_pr = 0.0;
  double auc_roc = 0.0;
  double auc_pr_trapezoid = 0.0;
};

// VUS-PR / VUS-ROC (range_vus with `sliding_window`), range-AUC (range_auc with
// `sliding_window`) and the point-wise AUCs (point_auc) of one scored series, sharing
// one sort of the scores. These are the threshold-free columns of TSB-AD's
// `get_metrics(score, labels, slidingWindow)` plus the VUS package's range-AUC; the
// TSB-AD protocol takes `sliding_window` from find_length_rank on the first channel.
// Cost: that of range_vus plus O(T log T). Failure modes: as range_vus.
[[nodiscard]] Result<TsbAdMetrics> tsb_ad_metrics(std::span<const std::uint8_t> labels,
                                                  std::span<const double> scores,
                                                  std::size_t sliding_window,
                                                  std::size_t thresholds = TSB_AD_THRESHOLDS);

}  // namespace anomstream::eval
