#pragma once
// Point-wise (range-unaware) AUC-ROC and AUC-PR, as scikit-learn computes them for
// TSB-AD.

#include <cstdint>
#include <span>

#include "anomstream/core/error.hpp"

namespace anomstream::eval {

// Point-wise areas of one (labels, scores) pair.
struct AucResult {
  double roc = 0.0;           // AUC-ROC
  double pr = 0.0;            // AUC-PR: average precision
  double pr_trapezoid = 0.0;  // trapezoidal area under (recall, precision)
};

// The point-wise areas over every distinct score threshold (tied scores form one
// threshold). `roc` is scikit-learn's `roc_auc_score` (TSB-AD `metric_ROC`): the
// trapezoid area under (FPR, TPR), ties counted half. `pr` is scikit-learn's
// `average_precision_score` (TSB-AD `metric_PR`, the AUC-PR of its tables):
// sum over thresholds of (R_n - R_{n-1}) * P_n, a right-step sum without
// interpolation. `pr_trapezoid` is the VUS package's `metric_PR`:
// `sklearn.metrics.auc(recall, precision)`, the trapezoid area from (0, 1) through the
// precision-recall points, which is optimistic on ties and sparse positives.
// Cost: O(T log T) time, O(T) memory. Failure modes: validate_labels_and_scores (both
// classes must be present: scikit-learn raises on one class for ROC and is undefined
// for PR without positives).
[[nodiscard]] Result<AucResult> point_auc(std::span<const std::uint8_t> labels,
                                          std::span<const double> scores);

// point_auc(...).roc.
[[nodiscard]] Result<double> auc_roc(std::span<const std::uint8_t> labels,
                                     std::span<const double> scores);

// point_auc(...).pr.
[[nodiscard]] Result<double> auc_pr(std::span<const std::uint8_t> labels,
                                    std::span<const double> scores);

// point_auc(...).pr_trapezoid.
[[nodiscard]] Result<double> auc_pr_trapezoid(std::span<const std::uint8_t> labels,
                                              std::span<const double> scores);

}  // namespace anomstream::eval
