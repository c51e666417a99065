#pragma once
// Volume under the range-based PR and ROC surfaces (VUS-PR, VUS-ROC), as TSB-AD
// computes them.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::eval {

// Thresholds per curve in TSB-AD's `get_metrics` (`thre=250`).
inline constexpr std::size_t TSB_AD_THRESHOLDS = 250;
// Largest sliding window (buffer length) accepted; the cost grows with it (below).
inline constexpr std::size_t MAX_SLIDING_WINDOW = 100'000;
// Largest threshold count accepted.
inline constexpr std::size_t MAX_THRESHOLDS = 1'000'000;

// VUS of one (labels, scores) pair, with the per-buffer areas whose means they are.
struct VusResult {
  double vus_pr = 0.0;
  double vus_roc = 0.0;
  std::vector<double> pr_per_window;   // average precision for buffer w = 0..window
  std::vector<double> roc_per_window;  // ROC area for buffer w = 0..window
};

// VUS-PR and VUS-ROC of Paparrizos et al., "Volume Under the Surface: A New Accuracy
// Evaluation Measure for Time-Series Anomaly Detection" (VLDB 2022), exactly as TSB-AD
// (Liu & Paparrizos, NeurIPS 2024) computes them: `get_metrics(score, labels,
// slidingWindow, version='opt', thre=250)` -> `generate_curve` ->
// `basic_metricor.RangeAUC_volume_opt` in TheDatumOrg/TSB-AD
// `TSB_AD/evaluation/basic_metrics.py`. For each buffer w = 0..window:
//  - every anomaly range gets ramps sqrt(1 - d/w) at distance d = 1..w/2 outside it
//    (capped at 1 where ramps or ranges overlap);
//  - at each of `thresholds` thresholds (the scores sorted descending, taken at ranks
//    floor(k (T-1) / (K-1)); a point is predicted when its score is >= the threshold,
//    so ties are included) TP is the sum of the labels of predicted points (ramp
//    labels count with their weight), P_new = P + (predicted ramp weight) / 2,
//    recall = min(TP / P_new, 1), TPR = recall * (buffered segments holding a predicted
//    point) / (segments), FPR = (predicted - TP) / (T - P_new), precision =
//    TP / predicted;
//  - the ROC area is the trapezoid sum over (0,0), the K points, (1,1); the PR area is
//    the right-step sum over the K points (sum of dTPR * precision, the final step to
//    recall 1 is not counted).
// VUS-PR and VUS-ROC are the means over w. The numbers equal TSB-AD's published ones
// (checked to 1e-9 on the shared golden cases).
//
// Reference quirks reproduced on purpose: P_new, and so recall, depend on the threshold
// through the predicted ramp weight; buffers that only touch count as two segments;
// the TPR need not be monotone, so a PR step can be negative. TSB-AD passes its
// `slidingWindow` (find_length_rank) as `window` directly.
//
// Cost: O(T log T + window * (R + min(T, R * window) + K)) time for T points, R anomaly
// ranges and K thresholds, O(T + K + window) memory; the reference is
// O(window * K * T). T = 100 000, window = 100 takes about 15 ms on one core (see
// docs/performance.md).
// Failure modes: the checks of validate_labels_and_scores (TSB-AD crashes on a series
// without anomalies or without normal points, so those are errors here, never NaN);
// `thresholds` outside [1, MAX_THRESHOLDS] or `window` above MAX_SLIDING_WINDOW is
// ErrorCode::invalid_config.
[[nodiscard]] Result<VusResult> range_vus(std::span<const std::uint8_t> labels,
                                          std::span<const double> scores, std::size_t window,
                                          std::size_t thresholds = TSB_AD_THRESHOLDS);

// range_vus(...).vus_pr: TSB-AD's headline VUS-PR.
[[nodiscard]] Result<double> vus_pr(std::span<const std::uint8_t> labels,
                                    std::span<const double> scores, std::size_t window,
                                    std::size_t thresholds = TSB_AD_THRESHOLDS);

// range_vus(...).vus_roc.
[[nodiscard]] Result<double> vus_roc(std::span<const std::uint8_t> labels,
                                     std::span<const double> scores, std::size_t window,
                                     std::size_t thresholds = TSB_AD_THRESHOLDS);

}  // namespace anomstream::eval
