#pragma once
// Range-aware recall, precision and F1 of binary predictions averaged over buffer
// lengths (TSB-AD's VUS-Recall, VUS-Precision, VUS-F).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::eval {

// How buffer w's extended labels are built.
enum class VusPredLabels : std::uint8_t {
  // As published: the reference rebinds `labels` to the previous buffer's mutated copy
  // (ramp labels multiplied by the predictions), so from w = 3 on a predicted point
  // that a ramp reached at w - 1 counts with weight 1 instead of sqrt(1 - d/w).
  tsb_ad,
  // Each buffer's ramps built from the original labels, as the method intends.
  fresh_per_window,
};

// Means over buffers w = 0..window, and the per-buffer values.
struct VusPredResult {
  double recall = 0.0;
  double precision = 0.0;
  double f1 = 0.0;
  std::vector<double> recall_per_window;     // w = 0..window
  std::vector<double> precision_per_window;
  std::vector<double> f1_per_window;
};

// TSB-AD's `basic_metricor.metric_VUS_pred(labels, preds, windowSize)`
// (TheDatumOrg/TSB-AD `TSB_AD/evaluation/basic_metrics.py`, reported by its
// `get_metrics_pred` as VUS-Recall / VUS-Precision / VUS-F), after Paparrizos et al.
// (VLDB 2022). For each buffer w = 0..window, with the ramp labels of range_vus and the
// binary predictions: TP = predicted anomaly points + predicted ramp weight, P_new =
// P + (predicted ramp weight) / 2, recall = min(TP / P_new, 1), precision =
// TP / (predicted points), F1 = 2 P R / (P + R) (0 when both are 0); the results are the
// means over w. Unlike range_vus there is no existence ratio: the reference counts the
// segments hit but never uses the count.
//
// Reference defect: inside its window loop the reference assigns the mutated copy of
// the extended labels back to `labels`, the variable the next buffer is built from, so
// labels carry over from one buffer to the next (see VusPredLabels::tsb_ad, the
// default, which reproduces the published numbers; `fresh_per_window` gives the
// intended metric). Buffers 0..2 agree under both.
//
// Cost: O(T + window * (R + min(T, R * window))) time, O(T + window) memory.
// Failure modes: lengths differ (ErrorCode::dimension_mismatch), an empty series, a
// label or prediction other than 0/1, no anomaly (the reference raises in
// `new_sequence`), no predicted point (the reference's precision is 0/0 = NaN)
// (ErrorCode::invalid_input); `window` above MAX_SLIDING_WINDOW
// (ErrorCode::invalid_config).
[[nodiscard]] Result<VusPredResult> vus_pred(std::span<const std::uint8_t> labels,
                                             std::span<const std::uint8_t> predictions,
                                             std::size_t window,
                                             VusPredLabels mode = VusPredLabels::tsb_ad);

}  // namespace anomstream::eval
