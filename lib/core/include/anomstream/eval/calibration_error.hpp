#pragma once
// Expected calibration error (ECE) of probabilities against 0/1 labels: how far, on
// average, a predicted probability is from the frequency of the event among the points
// given that probability.
//
// Method: Naeini, Cooper & Hauskrecht, "Obtaining well calibrated probabilities using
// Bayesian binning" (AAAI 2015), the equal-width form Guo et al. use ("On calibration of
// modern neural networks", ICML 2017): split [0, 1] into `bins` intervals of width
// 1 / bins, [0, 1/B), [1/B, 2/B), ..., [(B-1)/B, 1] (1 falls in the last), and sum
//   ECE = sum_b n_b / N * |mean(p in b) - mean(y in b)|
// over the non-empty bins. 0 for perfectly calibrated bins; at most 1.
// Memory: O(bins). Time: O(N).
// Errors: an empty input (invalid_input on `probabilities`), lengths that differ
// (dimension_mismatch on `labels`), a probability outside [0, 1] or NaN (invalid_input on
// `probabilities[i]`), a label other than 0 or 1 (invalid_input on `labels[i]`), no bins
// (invalid_config on `bins`).

#include <cstddef>
#include <cstdint>
#include <span>

#include "anomstream/core/error.hpp"

namespace anomstream::eval {

// Guo et al.'s and most reports' choice.
inline constexpr std::size_t DEFAULT_CALIBRATION_BINS = 10;

[[nodiscard]] Result<double> expected_calibration_error(std::span<const double> probabilities,
                                                        std::span<const std::uint8_t> labels,
                                                        std::size_t bins = DEFAULT_CALIBRATION_BINS);

}  // namespace anomstream::eval
