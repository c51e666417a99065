#include "anomstream/eval/anomaly_ranges.hpp"

#include <cmath>
#include <string>

namespace anomstream::eval {

namespace {

std::unexpected<Error> bad_label(std::size_t index, std::uint8_t value) {
  return fail(ErrorCode::invalid_input, "labels[" + std::to_string(index) + "]",
              "must be 0 or 1 (got " + std::to_string(value) + ")");
}

}  // namespace

Result<std::vector<AnomalyRange>> anomaly_ranges(std::span<const std::uint8_t> labels) {
  std::vector<AnomalyRange> ranges;
  bool inside = false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::uint8_t label = labels[i];
    if (label > 1) {
      return bad_label(i, label);
    }
    if (label == 1 && !inside) {
      ranges.push_back({i, i});
      inside = true;
    } else if (label == 1) {
      ranges.back().last = i;
    } else {
      inside = false;
    }
  }
  return ranges;
}

Status validate_labels_and_scores(std::span<const std::uint8_t> labels,
                                  std::span<const double> scores) {
  if (scores.size() != labels.size()) {
    return fail(ErrorCode::dimension_mismatch, "scores",
                "length must equal the label count " + std::to_string(labels.size()) +
                    " (got " + std::to_string(scores.size()) + ")");
  }
  if (labels.empty()) {
    return fail(ErrorCode::invalid_input, "labels", "must not be empty");
  }
  std::size_t anomalies = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 1) {
      return bad_label(i, labels[i]);
    }
    anomalies += labels[i];
  }
  if (auto finite = require_finite(scores, "scores"); !finite) {
    return finite;
  }
  if (anomalies == 0) {
    return fail(ErrorCode::invalid_input, "labels",
                "must contain at least one anomaly (label 1): the metrics are undefined "
                "without one");
  }
  if (anomalies == labels.size()) {
    return fail(ErrorCode::invalid_input, "labels",
                "must contain at least one normal point (label 0): the metrics are "
                "undefined without one");
  }
  return {};
}

}  // namespace anomstream::eval
