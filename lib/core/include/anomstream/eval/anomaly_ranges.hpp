#pragma once
// Anomaly ranges of a 0/1 label series, and the input checks every evaluation metric
// shares.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::eval {

// One maximal run of label 1, inclusive at both ends (TSB-AD's `range_convers_new`).
struct AnomalyRange {
  std::size_t first = 0;
  std::size_t last = 0;
  [[nodiscard]] std::size_t length() const noexcept { return last - first + 1; }
  friend bool operator==(const AnomalyRange&, const AnomalyRange&) = default;
};

// The maximal runs of 1 in `labels`, in order. This is the segmentation TSB-AD's
// `range_convers_new` and the VUS package's `range_convers_new` agree on for 0/1 input.
// Time O(T), memory O(number of ranges). Fails (ErrorCode::invalid_input, field
// `labels[i]`) on a label other than 0 or 1; an all-zero series gives no ranges.
[[nodiscard]] Result<std::vector<AnomalyRange>> anomaly_ranges(
    std::span<const std::uint8_t> labels);

// The checks every score-based metric here applies once, before any work: equal
// lengths (ErrorCode::dimension_mismatch on `scores`), a non-empty series, labels in
// {0, 1}, finite scores (ErrorCode::non_finite, `scores[i]`), and both classes present
// (ErrorCode::invalid_input on `labels`). TSB-AD's `get_metrics` crashes on a series
// without anomalies (an index error in `new_sequence`, a division by zero in the range
// AUC, a ValueError in `roc_auc_score`) and on one without normal points, so these are
// errors here rather than NaN. Time O(T).
[[nodiscard]] Status validate_labels_and_scores(std::span<const std::uint8_t> labels,
                                                std::span<const double> scores);

}  // namespace anomstream::eval
