#pragma once
// Regime-change detection on the scalar anomaly-score stream a detector produces.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "anomstream/core/error.hpp"
#include "anomstream/drift/per_feature_cusum.hpp"

namespace anomstream::drift {

struct MetaDriftDetectorConfig {
  // k, in baseline standard deviations of the score, in [0, 100].
  double slack = 0.5;
  // h, in baseline standard deviations of the score, in (0, 1e6].
  double threshold = 5.0;
  // Scores used to learn the baseline at the start and again after every change, in
  // [2, 1e9]. The longer, the closer the false-alarm rate is to the known-baseline ARL.
  std::size_t warmup = 500;
  // Floor on the learned standard deviation of the score, in (0, 1e300].
  double min_sigma = 1e-9;

  friend bool operator==(const MetaDriftDetectorConfig&, const MetaDriftDetectorConfig&) =
      default;
};

// A detected change of the score stream's level.
struct RegimeChange {
  // 0-based index, among all scores observed, of the score that raised the alarm.
  std::uint64_t time_index = 0;
  // Estimated index of the first score of the new regime: time_index - N + 1, with N the
  // CUSUM's run length since its statistic last left zero.
  std::uint64_t change_index = 0;
  ShiftDirection direction = ShiftDirection::up;
  // Estimated size of the shift, in standard deviations of the old regime.
  double magnitude = 0.0;
  // The old regime's baseline, so the shift in score units is magnitude * sigma.
  double baseline_mean = 0.0;
  double baseline_sigma = 0.0;

  friend bool operator==(const RegimeChange&, const RegimeChange&) = default;
};

struct MetaDriftDetectorSnapshot {
  MetaDriftDetectorConfig config;
  PerFeatureCusumSnapshot cusum;  // the one-feature chart, config derived from `config`
  std::uint64_t changes = 0;

  friend bool operator==(const MetaDriftDetectorSnapshot&, const MetaDriftDetectorSnapshot&) =
      default;
};

// Watches the anomaly-score stream for a lasting change of level, the sign that the data
// (or the model) drifted rather than that single points are anomalous. A two-sided
// tabular CUSUM (Page 1954; Hawkins & Olwell 1998) over the scores, standardised
// against a baseline learned from the first `warmup` scores; when it alarms it reports
// the change (direction, estimated magnitude, alarm index and estimated onset index),
// then re-baselines: the next `warmup` scores learn the new regime, during which no
// change is reported. With a long warm-up the false-alarm rate on a stationary stream
// follows the chart's in-control ARL (k = 0.5, h = 5: one alarm per about 465 scores
// after each warm-up); scores far from normal shift it. Memory: under 1 KiB, fixed at
// creation. Time: O(1) per score, no allocation. Failures: create rejects an
// invalid config naming the field; observe returns non_finite for NaN/inf scores and
// leaves the state unchanged; restore returns corrupt_snapshot.
class MetaDriftDetector {
 public:
  [[nodiscard]] static Result<MetaDriftDetector> create(const MetaDriftDetectorConfig& config);
  [[nodiscard]] static Result<MetaDriftDetector> restore(
      const MetaDriftDetectorSnapshot& snapshot);

  // Folds one score in; returns the regime change it completes, if any.
  [[nodiscard]] Result<std::optional<RegimeChange>> observe(double score) noexcept;

  [[nodiscard]] MetaDriftDetectorSnapshot snapshot() const;

  [[nodiscard]] const MetaDriftDetectorConfig& config() const noexcept { return config_; }
  // False while the (initial or post-change) baseline is being learned.
  [[nodiscard]] bool baseline_ready() const noexcept { return cusum_.baseline_ready(); }
  [[nodiscard]] double baseline_mean() const noexcept { return cusum_.baseline_mean()[0]; }
  [[nodiscard]] double baseline_sigma() const noexcept { return cusum_.baseline_sigma()[0]; }
  [[nodiscard]] std::uint64_t observations() const noexcept { return cusum_.observations(); }
  [[nodiscard]] std::uint64_t changes() const noexcept { return changes_; }

 private:
  MetaDriftDetector(MetaDriftDetectorConfig config, PerFeatureCusumEngine cusum,
                    std::uint64_t changes);

  MetaDriftDetectorConfig config_;
  PerFeatureCusumEngine cusum_;
  std::uint64_t changes_ = 0;
};

}  // namespace anomstream::drift
