#include "anomstream/eval/vus_pred.hpp"

#include <algorithm>
#include <string>

#include "anomstream/eval/anomaly_ranges.hpp"
#include "anomstream/eval/detail/ramp_labels.hpp"
#include "anomstream/eval/vus.hpp"

namespace anomstream::eval {

namespace {

Status validate(std::span<const std::uint8_t> labels, std::span<const std::uint8_t> predictions,
                std::size_t window) {
  if (auto ok = require_in_range<std::size_t>(window, 0, MAX_SLIDING_WINDOW, "window"); !ok) {
    return ok;
  }
  if (predictions.size() != labels.size()) {
    return fail(ErrorCode::dimension_mismatch, "predictions",
                "length must equal the label count " + std::to_string(labels.size()) +
                    " (got " + std::to_string(predictions.size()) + ")");
  }
  if (labels.empty()) {
    return fail(ErrorCode::invalid_input, "labels", "must not be empty");
  }
  std::size_t anomalies = 0;
  std::size_t predicted = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 1) {
      return fail(ErrorCode::invalid_input, "labels[" + std::to_string(i) + "]",
                  "must be 0 or 1 (got " + std::to_string(labels[i]) + ")");
    }
    if (predictions[i] > 1) {
      return fail(ErrorCode::invalid_input, "predictions[" + std::to_string(i) + "]",
                  "must be 0 or 1 (got " + std::to_string(predictions[i]) + ")");
    }
    anomalies += labels[i];
    predicted += predictions[i];
  }
  if (anomalies == 0) {
    return fail(ErrorCode::invalid_input, "labels",
                "must contain at least one anomaly (label 1): the metric is undefined "
                "without one");
  }
  if (predicted == 0) {
    return fail(ErrorCode::invalid_input, "predictions",
                "must flag at least one point: precision is undefined without one");
  }
  return {};
}

}  // namespace

Result<VusPredResult> vus_pred(std::span<const std::uint8_t> labels,
                               std::span<const std::uint8_t> predictions, std::size_t window,
                               VusPredLabels mode) {
  if (auto ok = validate(labels, predictions, window); !ok) {
    return std::unexpected(ok.error());
  }
  const std::vector<AnomalyRange> ranges = *anomaly_ranges(labels);
  double anomalies = 0.0;
  double predicted = 0.0;
  double predicted_anomalies = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    anomalies += labels[i];
    predicted += predictions[i];
    predicted_anomalies += labels[i] & predictions[i];
  }

  VusPredResult result;
  std::vector<double> scratch;
  double recall_sum = 0.0;
  double precision_sum = 0.0;
  double f1_sum = 0.0;
  for (std::size_t w = 0; w <= window; ++w) {
    // Under the reference's carry-over, buffer w starts from buffer w-1's labels with
    // unpredicted ramp points zeroed; a predicted point reached at w-1 keeps a label of
    // at least sqrt(1/2), and adding buffer w's ramp (also >= sqrt(1/2)) caps it at 1.
    const std::size_t carried_reach = mode == VusPredLabels::tsb_ad && w > 0 ? (w - 1) / 2 : 0;
    double ramp = 0.0;
    detail::for_each_ramp_point(ranges, labels.size(), w, scratch,
                                [&](std::size_t p, double label, std::size_t distance) {
                                  if (predictions[p] != 0) {
                                    ramp += distance <= carried_reach ? 1.0 : label;
                                  }
                                });
    const double tp = predicted_anomalies + ramp;
    const double n_labels = anomalies + ramp;
    const double p_new = (anomalies + n_labels) / 2.0;
    const double recall = std::min(tp / p_new, 1.0);
    const double precision = tp / predicted;
    const double f1 =
        precision + recall > 0.0 ? 2.0 * precision * recall / (precision + recall) : 0.0;
    result.recall_per_window.push_back(recall);
    result.precision_per_window.push_back(precision);
    result.f1_per_window.push_back(f1);
    recall_sum += recall;
    precision_sum += precision;
    f1_sum += f1;
  }
  const auto windows = static_cast<double>(window + 1);
  result.recall = recall_sum / windows;
  result.precision = precision_sum / windows;
  result.f1 = f1_sum / windows;
  return result;
}

}  // namespace anomstream::eval
