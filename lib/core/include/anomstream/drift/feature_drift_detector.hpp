#pragma once
// Per-feature distribution drift: PSI and KL divergence between a frozen reference
// sample and a sliding window of recent observations.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::drift {

struct FeatureDriftDetectorConfig {
  // Features per observation, in [1, 65536]. FeatureDriftDetector<D> sets it to D.
  std::size_t dimension = 1;
  // Quantile bins per feature, in [2, 1000].
  std::size_t bins = 10;
  // Observations forming the reference (the first ones seen), in [bins, 1e7], and
  // dimension * reference_size <= 1e8.
  std::size_t reference_size = 1000;
  // Observations in the sliding current window, in [bins, 1e7], and
  // dimension * window_size <= 1e8.
  std::size_t window_size = 1000;
  // Pseudo-count added to every bin of both histograms (Laplace / Lidstone smoothing),
  // in (0, 1000]: an empty bin has proportion smoothing / (n + smoothing * bins) instead
  // of 0, so neither PSI nor KL is ever infinite.
  double smoothing = 0.5;

  friend bool operator==(const FeatureDriftDetectorConfig&,
                         const FeatureDriftDetectorConfig&) = default;
};

// Drift of one feature, current window against reference.
struct FeatureDrift {
  // Population stability index, sum over bins of (q - p) ln(q / p). Rule of thumb:
  // < 0.1 stable, 0.1-0.25 moderate, > 0.25 significant shift.
  double psi = 0.0;
  // Kullback-Leibler divergence KL(current || reference) = sum q ln(q / p), in nats.
  double kl = 0.0;

  friend bool operator==(const FeatureDrift&, const FeatureDrift&) = default;
};

// The whole state of a FeatureDriftDetectorEngine (d = config.dimension, B = bins).
struct FeatureDriftDetectorSnapshot {
  FeatureDriftDetectorConfig config;
  std::uint64_t observations = 0;
  // While the reference is being collected: the observations so far, one row of d after
  // another, fewer than reference_size rows. Empty once the reference is frozen.
  std::vector<double> reference_values;
  // Once frozen: per feature B bin edges (row j starts at j * B), finite and strictly
  // increasing, then +infinity for unused slots; bin b holds (edge[b-1], edge[b]].
  std::vector<double> edges;
  // Once frozen: per feature B + 1 reference counts (row j starts at j * (B + 1)).
  std::vector<std::uint32_t> reference_counts;
  // The bin of every value in the current window, oldest observation first, d per row.
  std::vector<std::uint16_t> window;

  friend bool operator==(const FeatureDriftDetectorSnapshot&,
                         const FeatureDriftDetectorSnapshot&) = default;
};

// Runtime-dimension engine measuring, per feature, how far the distribution of a
// sliding window of recent values has moved from a reference sample: the population
// stability index (PSI; Yurdakul 2018, "Statistical properties of population stability
// index") and the Kullback-Leibler divergence (Kullback & Leibler 1951) over histograms.
// The first `reference_size` observations form the reference; when it is complete,
// each feature's bin edges are its reference quantiles at i / bins (equal quantiles
// merged, and an extra bin below the minimum when the lowest quantile is the minimum, so
// a feature that was constant still shows a move either way), the reference histogram is
// counted and the raw values are released. Afterwards each observation is binned into the
// current window, which slides over the last `window_size` observations. Both histograms
// are smoothed by adding `smoothing` to every bin. Under no drift, n * PSI with
// n = 1 / (1/reference_size + 1/window_size) is about chi-square(bins - 1), so the
// expected PSI is about (bins - 1) / n. Memory: 8 * d * reference_size bytes while the
// reference is collected, then about d * (32 * bins + 2 * window_size) bytes, all sized
// at creation. Time: O(d log bins) per observe, plus one O(d * reference_size *
// log(reference_size)) sort when the reference completes; O(d * bins) per report.
// Failures: create rejects an invalid config naming the field; observe returns
// dimension_mismatch or non_finite and leaves the state untouched; report returns
// not_ready until the reference and a full window are in; restore returns
// corrupt_snapshot.
class FeatureDriftDetectorEngine {
 public:
  [[nodiscard]] static Result<FeatureDriftDetectorEngine> create(
      const FeatureDriftDetectorConfig& config);
  [[nodiscard]] static Result<FeatureDriftDetectorEngine> restore(
      const FeatureDriftDetectorSnapshot& snapshot);

  // Adds one observation to the reference (while it is collected) or to the window.
  [[nodiscard]] Status observe(std::span<const double> point) noexcept;

  // PSI and KL per feature for the current window. The span points into an internal
  // buffer and stays valid until the next non-const call.
  [[nodiscard]] Result<std::span<const FeatureDrift>> report() noexcept;

  [[nodiscard]] FeatureDriftDetectorSnapshot snapshot() const;

  [[nodiscard]] std::size_t dimension() const noexcept { return config_.dimension; }
  [[nodiscard]] const FeatureDriftDetectorConfig& config() const noexcept { return config_; }
  [[nodiscard]] bool reference_ready() const noexcept {
    return reference_seen_ == config_.reference_size;
  }
  [[nodiscard]] std::size_t window_count() const noexcept { return window_filled_; }
  [[nodiscard]] std::uint64_t observations() const noexcept { return observations_; }
  // Bins feature j actually uses (edges + 1), or 0 before the reference is frozen.
  [[nodiscard]] std::size_t bins_used(std::size_t feature) const noexcept;

 private:
  explicit FeatureDriftDetectorEngine(FeatureDriftDetectorConfig config);
  void freeze_reference() noexcept;
  void derive_reference_proportions() noexcept;
  [[nodiscard]] std::uint16_t bin_of(std::size_t feature, double x) const noexcept;

  FeatureDriftDetectorConfig config_;
  std::uint64_t observations_ = 0;
  std::size_t reference_seen_ = 0;
  std::vector<double> reference_;  // feature-major, stride reference_size; freed at freeze
  std::vector<double> edges_;      // d x bins
  std::vector<std::uint32_t> reference_counts_;  // d x (bins + 1)
  std::vector<std::uint32_t> window_counts_;     // d x (bins + 1), derived from ring_
  std::vector<std::uint16_t> ring_;              // window_size x d
  std::size_t ring_next_ = 0;
  std::size_t window_filled_ = 0;
  // Derived from reference_counts_ and edges_ (not in the snapshot).
  std::vector<std::uint16_t> bins_used_;
  std::vector<double> reference_proportion_;      // d x (bins + 1)
  std::vector<double> log_reference_proportion_;  // d x (bins + 1)
  std::vector<FeatureDrift> report_;
};

// Fixed-dimension front end over FeatureDriftDetectorEngine, taking
// std::array<double, D>. See the engine for the method, memory and failure modes.
template <std::size_t D>
class FeatureDriftDetector {
  static_assert(D >= 1 && D <= 65536, "FeatureDriftDetector<D> needs 1 <= D <= 65536");

 public:
  using Point = std::array<double, D>;

  // config.dimension is ignored and set to D.
  [[nodiscard]] static Result<FeatureDriftDetector> create(FeatureDriftDetectorConfig config) {
    config.dimension = D;
    auto engine = FeatureDriftDetectorEngine::create(config);
    if (!engine) {
      return std::unexpected(std::move(engine).error());
    }
    return FeatureDriftDetector(std::move(*engine));
  }

  [[nodiscard]] static Result<FeatureDriftDetector> restore(
      const FeatureDriftDetectorSnapshot& snapshot) {
    if (snapshot.config.dimension != D) {
      return fail(ErrorCode::incompatible, "config.dimension",
                  "must be " + std::to_string(D) + " (got " +
                      std::to_string(snapshot.config.dimension) + ")");
    }
    auto engine = FeatureDriftDetectorEngine::restore(snapshot);
    if (!engine) {
      return std::unexpected(std::move(engine).error());
    }
    return FeatureDriftDetector(std::move(*engine));
  }

  [[nodiscard]] Status observe(const Point& point) noexcept {
    return engine_.observe(std::span<const double>(point));
  }
  [[nodiscard]] Result<std::span<const FeatureDrift>> report() noexcept {
    return engine_.report();
  }
  [[nodiscard]] FeatureDriftDetectorSnapshot snapshot() const { return engine_.snapshot(); }
  [[nodiscard]] const FeatureDriftDetectorEngine& engine() const noexcept { return engine_; }

 private:
  explicit FeatureDriftDetector(FeatureDriftDetectorEngine engine) : engine_(std::move(engine)) {}

  FeatureDriftDetectorEngine engine_;
};

}  // namespace anomstream::drift
