#pragma once
// PlattCalibrator: turns a detector score into a probability that the alert is real,
// p(s) = 1 / (1 + exp(A s + B)), from analyst-labelled scores.
//
// Method: Platt, "Probabilistic outputs for support vector machines" (1999), in the
// numerically stable form of Lin, Lin & Weng, "A note on Platt's probabilistic outputs
// for support vector machines" (Machine Learning 68, 2007), their Algorithm 1 as LIBSVM
// runs it. Labels are smoothed to t+ = (N+ + 1) / (N+ + 2) for positives and
// t- = 1 / (N- + 2) for negatives, so separable data still gives finite A and B.
//   - fit(): batch, Newton's method on the smoothed log-loss with a backtracking line
//     search (Armijo constant 1e-4, halving down to 1e-10) from Platt's start A = 0,
//     B = log((N- + 1) / (N+ + 1)); the loss and gradient are summed in the form that
//     never takes exp of a positive number. Stops when both gradient components are
//     below `gradient_tolerance` or after `max_iterations`.
//   - update(): online, one labelled score at a time. Averaged stochastic gradient
//     descent (Polyak & Juditsky 1992) on the same loss, the targets smoothed with the
//     labels counted so far, step eta_t = learning_rate * (1 + t / decay_updates)^-3/4
//     after t updates; probability() uses the polynomial-decay average of the iterates
//     (Shamir & Zhang, ICML 2013: the k-th iterate enters with weight 4 / (k + 3)),
//     which forgets the poor early iterates faster than a plain mean. The
//     steps are taken on the score standardised by the running mean and standard
//     deviation of all scores seen (z = (s - mean) / sd), where the loss is well
//     conditioned whatever the detector's scale and offset; plain SGD on raw scores
//     diverges or crawls when |s| is far from 1. A fit() resets the average to the
//     fitted A, B and continues the step count from the number of scores it saw, so
//     online updates refine a batch fit.
// A higher score should mean "more likely a true alert"; then A < 0.
// Memory: O(1): a dozen doubles and counters; fit() reads the caller's spans in place.
// Time: probability() and update() O(1); fit() O(N) per Newton iteration plus O(N) per
// line-search step (about 6 iterations on typical data, at most max_iterations).
// Errors: create() names a config field outside its bound (invalid_config). fit() and
// update() reject a non-finite score (non_finite), a score beyond +/-MAX_ABS_SCORE or
// an empty fit or a label other than 0 or 1 (invalid_input), mismatched span lengths (dimension_mismatch), leaving
// the calibrator unchanged. probability() of a non-finite score is non_finite.
// restore() rejects a snapshot that breaks its invariants (corrupt_snapshot).

#include <cstddef>
#include <cstdint>
#include <span>

#include "anomstream/core/error.hpp"

namespace anomstream::triage {

struct PlattCalibratorConfig {
  double learning_rate = 0.1;         // eta_0 of update(), in (0, 10]
  double decay_updates = 1000.0;      // tau of the step schedule, in [1, 1e12]
  std::size_t max_iterations = 100;   // Newton iterations of fit(), [1, 10000]
  double gradient_tolerance = 1e-5;   // fit() stops below this, in [1e-15, 1]

  friend bool operator==(const PlattCalibratorConfig&, const PlattCalibratorConfig&) = default;
};

// The whole state as plain data.
struct PlattCalibratorSnapshot {
  PlattCalibratorConfig config;
  // Parameters on the standardised score z = (s - score_mean) / sd (sd = 1 while
  // score_m2 == 0): current iterate, and the average probability() uses.
  double a = 0.0;
  double b = 0.0;
  double average_a = 0.0;
  double average_b = 0.0;
  std::uint64_t positives = 0;  // labels seen by fit() and update() together
  std::uint64_t negatives = 0;
  std::uint64_t steps = 0;      // t of the step schedule
  std::uint64_t averaged = 0;   // iterates in the running average, <= steps (0: unset)
  std::uint64_t score_count = 0;  // scores seen by fit() and update() (Welford)
  double score_mean = 0.0;
  double score_m2 = 0.0;  // sum of squared deviations, >= 0

  friend bool operator==(const PlattCalibratorSnapshot&, const PlattCalibratorSnapshot&) = default;
};

// What one fit() did.
struct PlattFitReport {
  std::size_t iterations = 0;
  bool converged = false;  // gradient below tolerance (false: iteration cap or line search)
  double loss = 0.0;       // smoothed log-loss at the result
};

class PlattCalibrator {
 public:
  static constexpr double MAX_ABS_SCORE = 1e100;

  [[nodiscard]] static Result<PlattCalibrator> create(const PlattCalibratorConfig& config);
  [[nodiscard]] static Result<PlattCalibrator> restore(const PlattCalibratorSnapshot& snapshot);

  // Batch fit on scores[i] with labels[i] (1: a real alert, 0: not). Replaces A, B and
  // the label counts.
  [[nodiscard]] Result<PlattFitReport> fit(std::span<const double> scores,
                                           std::span<const std::uint8_t> labels) noexcept;
  // One online step on a labelled score.
  [[nodiscard]] Status update(double score, bool label) noexcept;
  // 1 / (1 + exp(A s + B)) with the averaged A, B; 0.5 before any data.
  [[nodiscard]] Result<double> probability(double score) const noexcept;

  // A and B on the raw score.
  [[nodiscard]] double a() const noexcept;
  [[nodiscard]] double b() const noexcept;
  [[nodiscard]] std::uint64_t positives() const noexcept { return positives_; }
  [[nodiscard]] std::uint64_t negatives() const noexcept { return negatives_; }
  [[nodiscard]] const PlattCalibratorConfig& config() const noexcept { return config_; }
  [[nodiscard]] PlattCalibratorSnapshot snapshot() const noexcept;

 private:
  explicit PlattCalibrator(const PlattCalibratorConfig& config) : config_(config) {}
  [[nodiscard]] double score_scale() const noexcept;
  [[nodiscard]] double standardise(double score) const noexcept;
  void count_score(double score) noexcept;
  void set_score_sd() noexcept;

  PlattCalibratorConfig config_;
  double a_ = 0.0;
  double b_ = 0.0;
  double average_a_ = 0.0;
  double average_b_ = 0.0;
  std::uint64_t positives_ = 0;
  std::uint64_t negatives_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t averaged_ = 0;
  std::uint64_t score_count_ = 0;
  double score_mean_ = 0.0;
  double score_m2_ = 0.0;
  double score_sd_ = 1.0;  // derived from score_count_ and score_m2_ (1 while m2 == 0)
};

// 1 / (1 + exp(f)) without overflow for any finite f.
[[nodiscard]] double platt_sigmoid(double f) noexcept;

}  // namespace anomstream::triage
