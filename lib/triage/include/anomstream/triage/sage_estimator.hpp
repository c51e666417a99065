#pragma once
// SageEstimator: global feature importance of a detector by SAGE (Covert, Lundberg & Lee,
// "Understanding global feature contributions with additive importance measures",
// NeurIPS 2020): each feature's Shapley value in the cooperative game
//   v(S) = E[loss(f_empty, y)] - E[loss(f_S(x_S), y)],
// where f_S(x_S) is the model with the features outside S marginalised over a
// background sample (f_S(x_S) = mean over background rows b of f(x_S, b_rest), the
// paper's marginal sampling with the whole sample), f_empty is the mean of f over the
// background, the loss is squared error and y is a given target or, without targets,
// the model's own output f(x) (then SAGE tells which features the score depends on).
//
// Estimator: the paper's permutation sampling (its Algorithm 1). Each permutation draws
// a data row uniformly and a uniform random order of the D features, adds the features
// one at a time and credits each with the drop in loss it causes; a feature's estimate
// is the mean of its credits, unbiased for its Shapley value, with standard error
// sd / sqrt(permutations). The credits of one permutation sum to
// loss(f_empty, y) - loss(f(x), y). Convergence as in the paper: stop when the largest
// standard error is at most `convergence_ratio` times the gap between the largest and
// smallest estimate (after at least `min_permutations`), or at `max_permutations`.
// run() can be called again to refine; the snapshot carries the running sums and the
// random engine so an interrupted estimate resumes bit for bit.
// Memory: 24 D bytes of running sums plus, during run(), 8 (m + 2) D bytes of scratch
// (m background rows). The data and background are read in place.
// Time: D m model calls per permutation (plus one for f(x) without targets) and O(D m)
// copying; m calls per run() for f_empty.
// Errors: create() names a config field outside its bound (invalid_config); run()
// rejects data or background whose length is not a positive multiple of D, targets whose
// length is neither 0 nor the number of rows (dimension_mismatch), non-finite inputs or
// a non-finite model output (non_finite); a failing permutation is not counted.
// restore() rejects a snapshot that breaks its invariants (corrupt_snapshot).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/random.hpp"

namespace anomstream::triage {

// The model being explained: a score for one row of D features.
using SageModel = std::function<double(std::span<const double>)>;

struct SageEstimatorConfig {
  std::size_t dimension = 1;           // D, [1, MAX_DIMENSION]
  double convergence_ratio = 0.05;     // the paper's threshold, (0, 1]
  std::size_t min_permutations = 32;   // before the convergence test, [2, 1e9]
  std::size_t max_permutations = 10000;  // in total over all run() calls, [1, 1e9]
  std::uint64_t seed = 0;

  friend bool operator==(const SageEstimatorConfig&, const SageEstimatorConfig&) = default;
};

struct SageReport {
  std::vector<double> values;       // the SAGE value of each feature
  std::vector<double> std_errors;   // their standard errors
  std::uint64_t permutations = 0;
  bool converged = false;
};

struct SageEstimatorSnapshot {
  SageEstimatorConfig config;
  std::uint64_t permutations = 0;
  std::vector<double> means;  // D running means of the credits
  std::vector<double> m2;     // D running sums of squared deviations (Welford), >= 0
  Xoshiro256::State rng{};

  friend bool operator==(const SageEstimatorSnapshot&, const SageEstimatorSnapshot&) = default;
};

class SageEstimator {
 public:
  static constexpr std::size_t MAX_DIMENSION = 4096;
  static constexpr std::size_t MAX_PERMUTATIONS = 1'000'000'000;

  [[nodiscard]] static Result<SageEstimator> create(const SageEstimatorConfig& config);
  [[nodiscard]] static Result<SageEstimator> restore(const SageEstimatorSnapshot& snapshot);

  // Samples permutations until converged or max_permutations. `data` and `background`
  // hold rows of D values; `targets` is empty or one per data row.
  [[nodiscard]] Result<SageReport> run(const SageModel& model, std::span<const double> data,
                                       std::span<const double> targets,
                                       std::span<const double> background);
  // The estimates so far.
  [[nodiscard]] SageReport report() const;

  [[nodiscard]] const SageEstimatorConfig& config() const noexcept { return config_; }
  [[nodiscard]] SageEstimatorSnapshot snapshot() const;

 private:
  explicit SageEstimator(const SageEstimatorConfig& config);

  SageEstimatorConfig config_;
  std::uint64_t permutations_ = 0;
  std::vector<double> means_;
  std::vector<double> m2_;
  Xoshiro256 rng_;
};

}  // namespace anomstream::triage
