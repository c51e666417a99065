#pragma once
// Range-AUC (ROC and PR) of Paparrizos et al., VLDB 2022, as the VUS package computes it.

#include <cstddef>
#include <cstdint>
#include <span>

#include "anomstream/core/error.hpp"
#include "anomstream/eval/vus.hpp"

namespace anomstream::eval {

// Range-AUC of one (labels, scores) pair and one buffer length.
struct RangeAucResult {
  double roc = 0.0;  // R_AUC_ROC
  double pr = 0.0;   // R_AUC_PR
};

// Range-AUC-ROC and Range-AUC-PR with one buffer length `window`: the VUS package's
// `basic_metricor.RangeAUC(labels, score, window)` (TheDatumOrg/VUS,
// `vus/utils/metrics.py`, the release of 2025), from Paparrizos et al., "Volume Under
// the Surface" (VLDB 2022). Anomaly ranges get ramps sqrt(1 - d/window) at distance
// d = 1..window/2 (capped at 1 where they overlap); at each of `thresholds` rank-sampled
// thresholds (as in range_vus) TP = sum of the extended labels of predicted points,
// P_new = (P + sum of all extended labels) / 2 (fixed across thresholds),
// TPR = min(TP / P_new, 1) * (non-zero runs of the extended labels holding a predicted
// point) / (runs), FPR = (predicted - TP) / (T - P_new), precision = TP / predicted. The
// ROC area is the trapezoid sum over (0,0), the K points, (1,1); the PR area is the
// trapezoid sum over (recall, precision) from (0, 1) to the K-th point.
//
// TSB-AD ships its own `RangeAUC`, but it segments the fractional extended labels with
// `np.diff(label) == 1`, which finds wrong ranges (or none, then divides by zero) for
// window >= 2; the VUS package's version is the one reproduced (for window 0 or 1 there
// are no ramps and the two agree). Against one buffer of range_vus it differs in the
// fixed P_new, the run segmentation and the trapezoidal PR.
//
// Cost: O(T log T + R + min(T, R * window) + K) time, O(T + K) memory. Failure modes:
// as range_vus (validate_labels_and_scores; `thresholds` in [1, MAX_THRESHOLDS],
// `window` <= MAX_SLIDING_WINDOW).
[[nodiscard]] Result<RangeAucResult> range_auc(std::span<const std::uint8_t> labels,
                                               std::span<const double> scores,
                                               std::size_t window,
                                               std::size_t thresholds = TSB_AD_THRESHOLDS);

// range_auc(...).pr.
[[nodiscard]] Result<double> range_auc_pr(std::span<const std::uint8_t> labels,
                                          std::span<const double> scores, std::size_t window,
                                          std::size_t thresholds = TSB_AD_THRESHOLDS);

// range_auc(...).roc.
[[nodiscard]] Result<double> range_auc_roc(std::span<const std::uint8_t> labels,
                                           std::span<const double> scores, std::size_t window,
                                           std::size_t thresholds = TSB_AD_THRESHOLDS);

}  // namespace anomstream::eval
