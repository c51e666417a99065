#include "anomstream/eval/calibration_error.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace anomstream::eval {

Result<double> expected_calibration_error(std::span<const double> probabilities,
                                          std::span<const std::uint8_t> labels, std::size_t bins) {
  if (bins == 0) {
    return fail(ErrorCode::invalid_config, "bins", "must be at least 1");
  }
  if (probabilities.empty()) {
    return fail(ErrorCode::invalid_input, "probabilities", "must not be empty");
  }
  if (labels.size() != probabilities.size()) {
    return fail(ErrorCode::dimension_mismatch, "labels",
                "== " + std::to_string(probabilities.size()) + " (the number of probabilities), got " +
                    std::to_string(labels.size()));
  }
  struct Bin {
    std::size_t count = 0;
    double probability_sum = 0.0;
    double label_sum = 0.0;
  };
  std::vector<Bin> binned(bins);
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const double p = probabilities[i];
    if (!(p >= 0.0 && p <= 1.0)) {
      return fail(ErrorCode::invalid_input, "probabilities[" + std::to_string(i) + "]",
                  "must be in [0, 1] (got " + format_number(p) + ")");
    }
    if (labels[i] > 1) {
      return fail(ErrorCode::invalid_input, "labels[" + std::to_string(i) + "]",
                  "must be 0 or 1 (got " + std::to_string(labels[i]) + ")");
    }
    const auto b = std::min(static_cast<std::size_t>(p * static_cast<double>(bins)), bins - 1);
    binned[b].count += 1;
    binned[b].probability_sum += p;
    binned[b].label_sum += labels[i];
  }
  // n_b / N * |sum p / n_b - sum y / n_b| = |sum p - sum y| / N.
  double total = 0.0;
  for (const auto& bin : binned) total += std::abs(bin.probability_sum - bin.label_sum);
  return total / static_cast<double>(probabilities.size());
}

}  // namespace anomstream::eval
