#pragma once
// The adaptive threshold ThresholdedForest puts over a score stream, in the manner of
// AWS's thresholded RCF (BasicThresholder): a time-decayed mean and standard deviation of
// recent scores, a threshold at mean + z_factor * sd (never below min_score), and an
// anomaly grade in [0, 1] that rises linearly from the threshold to mean +
// upper_z_factor * sd. To keep anomalies from inflating the deviation they are meant to
// be measured against, each score updates the statistics capped at the threshold in
// force (winsorised), which is where this differs from a plain exponential moving
// deviation. No grade is given until `warmup` scores have been seen.
// Memory: 48 bytes. Time: O(1) per score, no allocation. Failure modes: create() names
// the field out of bounds; grade()/update() return non_finite for NaN or infinite scores.

#include <cstdint>

#include "anomstream/core/error.hpp"

namespace anomstream::forest {

struct AdaptiveThresholdConfig {
  double z_factor = 3.0;        // threshold in standard deviations above the mean, [0.5, 20]
  double upper_z_factor = 6.0;  // grade reaches 1 here, (z_factor, 40]
  double min_score = 1.0;       // absolute floor of the threshold, [0, 1e6]
  double decay = 1.0 / 1024;    // weight lost by old scores per update, (0, 0.5]
  std::uint64_t warmup = 64;    // scores before any grade, [2, 1e9]
  friend bool operator==(const AdaptiveThresholdConfig&, const AdaptiveThresholdConfig&) = default;
};

struct AdaptiveThresholdSnapshot {
  AdaptiveThresholdConfig config;
  std::uint64_t count = 0;
  double weight = 0;  // sum of decayed weights
  double mean = 0;
  double m2 = 0;      // decayed sum of squared deviations
  friend bool operator==(const AdaptiveThresholdSnapshot&, const AdaptiveThresholdSnapshot&) = default;
};

struct Grading {
  double threshold = 0;  // in score units
  double grade = 0;      // 0 below the threshold, in (0, 1] above it
};

class AdaptiveThreshold {
 public:
  static Result<AdaptiveThreshold> create(const AdaptiveThresholdConfig& config);
  static Result<AdaptiveThreshold> restore(const AdaptiveThresholdSnapshot& snapshot);

  // The grade of `score` against the statistics so far (does not update them).
  [[nodiscard]] Result<Grading> grade(double score) const noexcept;
  // Folds `score` in (capped at the current threshold once warm).
  [[nodiscard]] Status update(double score) noexcept;
  // Applies another configuration over the statistics so far; invalid_config (naming the
  // field) leaves the threshold unchanged.
  [[nodiscard]] Status retune(const AdaptiveThresholdConfig& config);

  [[nodiscard]] double threshold() const noexcept;
  [[nodiscard]] double mean() const noexcept { return mean_; }
  [[nodiscard]] double deviation() const noexcept;
  [[nodiscard]] bool warm() const noexcept { return count_ >= config_.warmup; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] const AdaptiveThresholdConfig& config() const noexcept { return config_; }
  [[nodiscard]] AdaptiveThresholdSnapshot snapshot() const;

 private:
  explicit AdaptiveThreshold(const AdaptiveThresholdConfig& config) : config_(config) {}
  AdaptiveThresholdConfig config_;
  std::uint64_t count_ = 0;
  double weight_ = 0;
  double mean_ = 0;
  double m2_ = 0;
};

}  // namespace anomstream::forest
