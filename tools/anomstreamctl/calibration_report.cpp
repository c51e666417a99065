#include "calibration_report.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/eval/calibration_error.hpp"
#include "anomstream/triage/platt_calibrator.hpp"

namespace anomstream::tools {

std::expected<CalibrationResult, std::string> measure_calibration(std::span<const double> scores,
                                                                  std::span<const std::uint8_t> labels,
                                                                  double fraction) {
  if (scores.size() != labels.size()) {
    return std::unexpected("calibrate: " + std::to_string(scores.size()) + " scores for " +
                           std::to_string(labels.size()) + " labels");
  }
  if (!(fraction > 0.0 && fraction < 1.0)) {
    return std::unexpected("--calibrate: must be in (0, 1) (got " + format_number(fraction) + ")");
  }
  CalibrationResult result;
  result.prefix = static_cast<std::size_t>(std::floor(fraction * static_cast<double>(scores.size())));
  if (result.prefix == 0 || result.prefix == scores.size()) {
    return std::unexpected("--calibrate " + format_number(fraction) + " of " + std::to_string(scores.size()) +
                           " rows leaves the labelled prefix or the rest empty");
  }
  result.graded = scores.size() - result.prefix;
  const auto prefix_scores = scores.first(result.prefix);
  const auto prefix_labels = labels.first(result.prefix);
  const auto rest_scores = scores.subspan(result.prefix);
  const auto rest_labels = labels.subspan(result.prefix);
  result.prefix_anomalies = static_cast<std::size_t>(std::count(prefix_labels.begin(), prefix_labels.end(), 1));

  std::vector<double> probabilities(result.graded);
  auto ece = [&]() -> std::expected<double, std::string> {
    auto value = eval::expected_calibration_error(probabilities, rest_labels);
    if (!value) return std::unexpected("calibrate: " + value.error().message());
    return *value;
  };

  const auto [low, high] = std::minmax_element(prefix_scores.begin(), prefix_scores.end());
  for (std::size_t i = 0; i < result.graded; ++i) {
    const double s = rest_scores[i];
    probabilities[i] = *high > *low ? std::clamp((s - *low) / (*high - *low), 0.0, 1.0) : (s > *high ? 1.0 : 0.0);
  }
  auto naive = ece();
  if (!naive) return std::unexpected(naive.error());
  result.naive = *naive;

  std::fill(probabilities.begin(), probabilities.end(),
            static_cast<double>(result.prefix_anomalies) / static_cast<double>(result.prefix));
  auto base_rate = ece();
  if (!base_rate) return std::unexpected(base_rate.error());
  result.base_rate = *base_rate;

  if (result.prefix_anomalies == 0) {
    result.note = "prefix has no anomalies";
    return result;
  }
  if (result.prefix_anomalies == result.prefix) {
    result.note = "prefix has no normal rows";
    return result;
  }
  auto calibrator = triage::PlattCalibrator::create({});
  if (!calibrator) return std::unexpected("calibrate: " + calibrator.error().message());
  auto fit = calibrator->fit(prefix_scores, prefix_labels);
  if (!fit) return std::unexpected("calibrate: " + fit.error().message());
  if (!fit->converged) {
    result.note = "Platt fit stopped before convergence, after " + std::to_string(fit->iterations) + " iterations";
  }
  for (std::size_t i = 0; i < result.graded; ++i) {
    auto p = calibrator->probability(rest_scores[i]);
    if (!p) return std::unexpected("calibrate: " + p.error().message());
    probabilities[i] = *p;
  }
  auto calibrated = ece();
  if (!calibrated) return std::unexpected(calibrated.error());
  result.calibrated = *calibrated;
  return result;
}

void write_calibration_lines(std::ostream& out, const std::string& prefix, const CalibrationResult& result) {
  out << prefix << "calibration_prefix " << result.prefix << "\n"
      << prefix << "calibration_prefix_anomalies " << result.prefix_anomalies << "\n";
  if (result.calibrated) {
    out << prefix << "ECE_calibrated " << format_number(*result.calibrated) << "\n";
    if (!result.note.empty()) out << prefix << "calibration_note " << result.note << "\n";
  } else {
    out << prefix << "ECE_calibrated n/a (" << result.note << ")\n";
  }
  out << prefix << "ECE_naive " << format_number(result.naive) << "\n"
      << prefix << "ECE_base_rate " << format_number(result.base_rate) << "\n";
}

}  // namespace anomstream::tools
