#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::stats {

struct PerFeatureEwmaConfig {
  // Weight of the newest observation, in (0, 1]. The EWMA remembers about 1 / alpha
  // observations; its variance estimate has an effective sample size of (2 - alpha) / alpha.
  double alpha = 0.05;
  // |z| at or above this raises an alert; finite and > 0.
  double z_threshold = 4.0;
  // Observations that only train the averages before alerts can fire, in [1, 1e9].
  // About 2 / alpha lets the variance settle.
  std::uint64_t warmup = 40;
  // Floor on the standard deviation z divides by, finite and > 0: a feature that has
  // been constant still gives a finite z when it changes.
  double min_stddev = 1e-9;
  friend bool operator==(const PerFeatureEwmaConfig&, const PerFeatureEwmaConfig&) = default;
};

enum class Direction : std::uint8_t { up, down };

// "up", "down".
[[nodiscard]] std::string_view to_string(Direction direction) noexcept;

// Feature `feature_index` moved `direction` by |z| >= z_threshold standard deviations
// from its EWMA mean (mean and stddev as they were before this observation).
struct EwmaAlert {
  std::uint32_t feature_index = 0;
  Direction direction = Direction::up;
  double z = 0.0;
  double value = 0.0;
  double mean = 0.0;
  double stddev = 0.0;  // after the min_stddev floor
  friend bool operator==(const EwmaAlert&, const EwmaAlert&) = default;
};

// Plain state: the config, the observation count and, per feature, the EWMA mean and
// variance. The dimension is mean.size().
struct PerFeatureEwmaSnapshot {
  PerFeatureEwmaConfig config;
  std::uint64_t count = 0;
  std::vector<double> mean;
  std::vector<double> variance;
  friend bool operator==(const PerFeatureEwmaSnapshot&, const PerFeatureEwmaSnapshot&) = default;
};

// PerFeatureEwma<> is the runtime-dimension engine; PerFeatureEwma<D> the fixed-dimension
// front end over it (like std::span's dynamic extent).
template <std::size_t D = std::dynamic_extent>
class PerFeatureEwma;

// Per-feature exponentially weighted mean and variance of a vector stream, with a z-score
// per feature and alerts that say which feature moved, which way and how far. Each
// observation is scored against the averages as they stood before it,
// z = (x - mean) / max(stddev, min_stddev), then folded in with the incremental EWMA
// mean/variance recurrence of Finch (2009), "Incremental calculation of weighted mean
// and variance": d = x - mean, mean += alpha d, var = (1 - alpha)(var + alpha d^2).
// Because every observation is folded in, a lasting level shift alerts on its first
// observations and is absorbed within a few / alpha steps (PerFeatureCusum keeps
// alerting on sustained shifts); a large spike inflates the variance and masks the next
// ~1 / alpha observations. With a noisy variance estimate z is roughly Student-t with
// (2 - alpha) / alpha degrees of freedom, so false alerts are more frequent than the
// normal tail suggests. Memory: 64 * dimension bytes plus a constant, allocated at
// creation; time: O(dimension) per observation, no allocation. Failure modes: a wrong
// length (ErrorCode::dimension_mismatch) or non-finite value (ErrorCode::non_finite) is
// rejected with the state unchanged; z saturates at +/- the largest finite double and
// the variance at the largest finite double, so no inf or NaN enters the state.
template <>
class PerFeatureEwma<std::dynamic_extent> {
 public:
  static constexpr std::size_t MAX_DIMENSION = std::size_t{1} << 20;
  static constexpr std::uint64_t MAX_WARMUP = 1'000'000'000;

  // dimension in [1, MAX_DIMENSION]; config fields as documented on PerFeatureEwmaConfig.
  [[nodiscard]] static Result<PerFeatureEwma> create(std::size_t dimension,
                                                     const PerFeatureEwmaConfig& config = {});

  // Scores and folds in one observation. The alerts (at most one per feature, by
  // ascending feature) point into an internal buffer valid until the next observe.
  [[nodiscard]] Result<std::span<const EwmaAlert>> observe(std::span<const double> x) noexcept;

  // The z of each feature for the last accepted observation (0 for the first one).
  [[nodiscard]] std::span<const double> z_scores() const noexcept { return z_; }
  [[nodiscard]] std::span<const double> mean() const noexcept { return mean_; }
  [[nodiscard]] std::span<const double> variance() const noexcept { return variance_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] bool warmed_up() const noexcept { return count_ >= config_.warmup; }
  [[nodiscard]] std::size_t dimension() const noexcept { return mean_.size(); }
  [[nodiscard]] const PerFeatureEwmaConfig& config() const noexcept { return config_; }

  // Forgets every observation (keeps dimension and config).
  void reset() noexcept;

  [[nodiscard]] PerFeatureEwmaSnapshot snapshot() const;
  // Rejects (ErrorCode::corrupt_snapshot) a config create would reject, arrays of
  // different or out-of-range length, non-finite means, variances outside
  // [0, largest double], and an empty state with non-zero averages.
  [[nodiscard]] static Result<PerFeatureEwma> restore(const PerFeatureEwmaSnapshot& snapshot);

 private:
  PerFeatureEwma(std::size_t dimension, const PerFeatureEwmaConfig& config);

  PerFeatureEwmaConfig config_;
  std::uint64_t count_ = 0;
  std::vector<double> mean_;
  std::vector<double> variance_;
  std::vector<double> z_;            // derived: last observation's scores
  std::vector<EwmaAlert> alerts_;    // one slot per feature; [0, alert_count_) are live
  std::size_t alert_count_ = 0;
};

// Fixed-dimension front end: the same engine, taking std::array<double, D>. Same
// method, bounds and failure modes (the length can no longer be wrong).
template <std::size_t D>
class PerFeatureEwma {
  static_assert(D >= 1 && D <= PerFeatureEwma<>::MAX_DIMENSION, "dimension out of range");

 public:
  using Point = std::array<double, D>;

  [[nodiscard]] static Result<PerFeatureEwma> create(const PerFeatureEwmaConfig& config = {}) {
    auto engine = PerFeatureEwma<>::create(D, config);
    if (!engine) return std::unexpected(engine.error());
    return PerFeatureEwma(std::move(*engine));
  }

  [[nodiscard]] Result<std::span<const EwmaAlert>> observe(const Point& x) noexcept {
    return engine_.observe(x);
  }

  [[nodiscard]] std::span<const double, D> z_scores() const noexcept {
    return engine_.z_scores().first<D>();
  }
  [[nodiscard]] std::span<const double, D> mean() const noexcept {
    return engine_.mean().first<D>();
  }
  [[nodiscard]] std::span<const double, D> variance() const noexcept {
    return engine_.variance().first<D>();
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return engine_.count(); }
  [[nodiscard]] bool warmed_up() const noexcept { return engine_.warmed_up(); }
  [[nodiscard]] static constexpr std::size_t dimension() noexcept { return D; }
  [[nodiscard]] const PerFeatureEwmaConfig& config() const noexcept { return engine_.config(); }
  [[nodiscard]] const PerFeatureEwma<>& engine() const noexcept { return engine_; }
  void reset() noexcept { engine_.reset(); }

  [[nodiscard]] PerFeatureEwmaSnapshot snapshot() const { return engine_.snapshot(); }
  // As the engine's restore, and the snapshot must have dimension D.
  [[nodiscard]] static Result<PerFeatureEwma> restore(const PerFeatureEwmaSnapshot& snapshot) {
    if (snapshot.mean.size() != D) {
      return fail(ErrorCode::corrupt_snapshot, "mean",
                  "length must be " + std::to_string(D) + " (got " +
                      std::to_string(snapshot.mean.size()) + ")");
    }
    auto engine = PerFeatureEwma<>::restore(snapshot);
    if (!engine) return std::unexpected(engine.error());
    return PerFeatureEwma(std::move(*engine));
  }

 private:
  explicit PerFeatureEwma(PerFeatureEwma<>&& engine) noexcept : engine_(std::move(engine)) {}
  PerFeatureEwma<> engine_;
};

}  // namespace anomstream::stats
