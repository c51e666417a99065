#pragma once
// Two-sided tabular CUSUM run independently on every feature of a vector stream.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::drift {

// Which side of the baseline a shift went to.
enum class ShiftDirection : std::uint8_t { up, down };

struct PerFeatureCusumConfig {
  // Features per observation, in [1, 65536]. PerFeatureCusum<D> sets it to D.
  std::size_t dimension = 1;
  // k: the reference value (allowance), in baseline standard deviations, in [0, 100].
  // k = delta / 2 is optimal for detecting a shift of delta sigmas.
  double slack = 0.5;
  // h: the decision interval, in baseline standard deviations, in (0, 1e6].
  double threshold = 5.0;
  // Observations used to learn each feature's mean and standard deviation before
  // monitoring starts, in [2, 1e9]. Also used after restart_baseline().
  std::size_t warmup = 100;
  // Floor on a learned standard deviation, in (0, 1e300]: a feature that was constant
  // during warm-up is measured in units of min_sigma instead of dividing by zero.
  double min_sigma = 1e-9;
  // A known in-control baseline: either both empty (learn it during warm-up) or both
  // of length `dimension`, means finite and standard deviations finite and > 0.
  std::vector<double> baseline_mean;
  std::vector<double> baseline_sigma;

  friend bool operator==(const PerFeatureCusumConfig&, const PerFeatureCusumConfig&) = default;
};

// One alarm: feature `feature_index` crossed the decision interval on side `direction`.
struct CusumAlert {
  std::uint32_t feature_index = 0;
  ShiftDirection direction = ShiftDirection::up;
  // Estimated size of the shift in baseline sigmas, k + S / N (Montgomery, Introduction
  // to Statistical Quality Control, section 9.1.3).
  double magnitude = 0.0;
  // The CUSUM statistic S (in sigmas) that crossed the threshold.
  double statistic = 0.0;
  // N: observations since the statistic last left zero, including this one; the shift
  // most likely began N - 1 observations before the alarm.
  std::uint64_t run_length = 0;

  friend bool operator==(const CusumAlert&, const CusumAlert&) = default;
};

// The whole state of a PerFeatureCusumEngine. Per-feature vectors have length
// config.dimension. While the baseline is being learned, `mean` and `m2` are Welford's
// running mean and sum of squared deviations and `sigma` is all zeros; once
// `baseline_ready`, `mean` and `sigma` are the baseline the statistics use.
struct PerFeatureCusumSnapshot {
  PerFeatureCusumConfig config;
  bool baseline_ready = false;
  std::uint64_t warmup_seen = 0;
  std::uint64_t observations = 0;
  std::vector<double> mean;
  std::vector<double> m2;
  std::vector<double> sigma;
  std::vector<double> upper;  // S+ per feature, in [0, threshold]
  std::vector<double> lower;  // S- per feature, in [0, threshold]
  std::vector<std::uint64_t> upper_run;
  std::vector<std::uint64_t> lower_run;

  friend bool operator==(const PerFeatureCusumSnapshot&, const PerFeatureCusumSnapshot&) =
      default;
};

// Runtime-dimension engine for the per-feature two-sided CUSUM chart (Page 1954,
// "Continuous inspection schemes"; Hawkins & Olwell 1998, "Cumulative Sum Charts and
// Charting for Quality Improvement"). Each feature x is standardised against its
// baseline, z = (x - mean) / sigma, and drives S+ = max(0, S+ + z - k) and
// S- = max(0, S- - z - k); a side above h raises an alert and both sides of that
// feature restart from zero, so run lengths are independent and follow the textbook ARL
// (k = 0.5, h = 5: in-control ARL about 465, a one-sigma shift detected after about
// 10.4 observations). The baseline is either supplied in the config or learned from the
// first `warmup` observations (then the in-control ARL is somewhat shorter, as for any
// chart with estimated parameters). Memory: at most 112 * dimension bytes plus a
// fixed-size object, all allocated at creation. Time: O(dimension) per observe, no allocation. Failures:
// create rejects an invalid config naming the field; observe returns dimension_mismatch
// or non_finite (and leaves the state untouched); restore returns corrupt_snapshot.
class PerFeatureCusumEngine {
 public:
  [[nodiscard]] static Result<PerFeatureCusumEngine> create(const PerFeatureCusumConfig& config);
  [[nodiscard]] static Result<PerFeatureCusumEngine> restore(
      const PerFeatureCusumSnapshot& snapshot);

  // Folds one observation in. While warming up the result is always empty. The span
  // points into an internal buffer and stays valid until the next non-const call.
  [[nodiscard]] Result<std::span<const CusumAlert>> observe(
      std::span<const double> point) noexcept;

  // Forgets the baseline (also a configured one) and the statistics; the next `warmup`
  // observations learn a new baseline. Does not allocate.
  void restart_baseline() noexcept;

  [[nodiscard]] PerFeatureCusumSnapshot snapshot() const;

  [[nodiscard]] std::size_t dimension() const noexcept { return config_.dimension; }
  [[nodiscard]] const PerFeatureCusumConfig& config() const noexcept { return config_; }
  [[nodiscard]] bool baseline_ready() const noexcept { return baseline_ready_; }
  [[nodiscard]] std::uint64_t observations() const noexcept { return observations_; }
  // Running means while warming up; the baseline means once ready.
  [[nodiscard]] std::span<const double> baseline_mean() const noexcept { return mean_; }
  // All zeros while warming up.
  [[nodiscard]] std::span<const double> baseline_sigma() const noexcept { return sigma_; }
  [[nodiscard]] std::span<const double> upper_statistic() const noexcept { return upper_; }
  [[nodiscard]] std::span<const double> lower_statistic() const noexcept { return lower_; }

 private:
  explicit PerFeatureCusumEngine(PerFeatureCusumConfig config);
  void finish_warmup() noexcept;
  void derive_inverse_sigma() noexcept;

  PerFeatureCusumConfig config_;
  bool baseline_ready_ = false;
  std::uint64_t warmup_seen_ = 0;
  std::uint64_t observations_ = 0;
  std::vector<double> mean_;
  std::vector<double> m2_;
  std::vector<double> sigma_;
  std::vector<double> inverse_sigma_;  // derived from sigma_, not part of the snapshot
  std::vector<double> upper_;
  std::vector<double> lower_;
  std::vector<std::uint64_t> upper_run_;
  std::vector<std::uint64_t> lower_run_;
  std::vector<CusumAlert> alerts_;  // capacity `dimension`: at most one alert per feature
};

// Fixed-dimension front end over PerFeatureCusumEngine: the same chart, state and
// bounds, taking std::array<double, D> so a wrong length cannot be passed. See
// PerFeatureCusumEngine for the method, memory (at most 112 * D bytes) and failure modes.
template <std::size_t D>
class PerFeatureCusum {
  static_assert(D >= 1 && D <= 65536, "PerFeatureCusum<D> needs 1 <= D <= 65536");

 public:
  using Point = std::array<double, D>;

  // config.dimension is ignored and set to D.
  [[nodiscard]] static Result<PerFeatureCusum> create(PerFeatureCusumConfig config) {
    config.dimension = D;
    auto engine = PerFeatureCusumEngine::create(config);
    if (!engine) {
      return std::unexpected(std::move(engine).error());
    }
    return PerFeatureCusum(std::move(*engine));
  }

  [[nodiscard]] static Result<PerFeatureCusum> restore(const PerFeatureCusumSnapshot& snapshot) {
    if (snapshot.config.dimension != D) {
      return fail(ErrorCode::incompatible, "config.dimension",
                  "must be " + std::to_string(D) + " (got " +
                      std::to_string(snapshot.config.dimension) + ")");
    }
    auto engine = PerFeatureCusumEngine::restore(snapshot);
    if (!engine) {
      return std::unexpected(std::move(engine).error());
    }
    return PerFeatureCusum(std::move(*engine));
  }

  [[nodiscard]] Result<std::span<const CusumAlert>> observe(const Point& point) noexcept {
    return engine_.observe(std::span<const double>(point));
  }

  void restart_baseline() noexcept { engine_.restart_baseline(); }
  [[nodiscard]] PerFeatureCusumSnapshot snapshot() const { return engine_.snapshot(); }
  [[nodiscard]] bool baseline_ready() const noexcept { return engine_.baseline_ready(); }
  [[nodiscard]] std::uint64_t observations() const noexcept { return engine_.observations(); }
  [[nodiscard]] const PerFeatureCusumEngine& engine() const noexcept { return engine_; }

 private:
  explicit PerFeatureCusum(PerFeatureCusumEngine engine) : engine_(std::move(engine)) {}

  PerFeatureCusumEngine engine_;
};

}  // namespace anomstream::drift
