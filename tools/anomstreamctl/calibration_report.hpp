#pragma once
// The calibration measurement of `anomstreamctl eval --calibrate FRACTION`: how well a
// detector's scores turn into probabilities of an anomaly once an analyst has labelled
// the start of the series.
//
// The first FRACTION of the rows (by position) is the labelled prefix. A PlattCalibrator
// (triage::PlattCalibrator::fit, Platt 1999 with Lin, Lin & Weng's Newton method) is
// fitted on the prefix's (score, label) pairs, and the rows after the prefix are graded
// by expected calibration error (eval::expected_calibration_error, 10 equal-width bins)
// of three probabilities:
//   - calibrated: the Platt probability of the score;
//   - naive: the score min-max scaled over the prefix, clipped to [0, 1] (a prefix of
//     equal scores gives 1 above that score and 0 otherwise);
//   - base rate: the prefix's anomaly rate for every row.
// A prefix without anomalies (or without normal rows) leaves Platt nothing to learn:
// `calibrated` is then empty and `note` says why; the other two are still reported.
// Memory: O(N) for the probabilities of the graded rows. Time: O(N) plus the fit.
// Errors (text): scores and labels of different lengths, a fraction outside (0, 1) or
// one that leaves the prefix or the rest empty, a score the calibrator refuses.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <ostream>
#include <span>
#include <string>

namespace anomstream::tools {

struct CalibrationResult {
  std::size_t prefix = 0;            // labelled rows
  std::size_t prefix_anomalies = 0;  // label-1 rows among them
  std::size_t graded = 0;            // rows after the prefix
  std::optional<double> calibrated;  // ECE of the Platt probabilities; empty: see note
  double naive = 0.0;                // ECE of the min-max scaled score
  double base_rate = 0.0;            // ECE of the prefix anomaly rate
  std::string note;                  // why `calibrated` is empty, or that the fit stopped early
};

[[nodiscard]] std::expected<CalibrationResult, std::string> measure_calibration(
    std::span<const double> scores, std::span<const std::uint8_t> labels, double fraction);

// `name value` lines for one file, each name after `prefix` (the detector and a space, or
// nothing): calibration_prefix, calibration_prefix_anomalies, ECE_calibrated (or
// "ECE_calibrated n/a" and the note; calibration_note after it if the fit stopped early),
// ECE_naive, ECE_base_rate.
void write_calibration_lines(std::ostream& out, const std::string& prefix, const CalibrationResult& result);

}  // namespace anomstream::tools
