#include "anomstream/drift/meta_drift_detector.hpp"

#include <cmath>
#include <span>
#include <utility>

namespace anomstream::drift {
namespace {

PerFeatureCusumConfig chart_config(const MetaDriftDetectorConfig& config) {
  PerFeatureCusumConfig chart;
  chart.dimension = 1;
  chart.slack = config.slack;
  chart.threshold = config.threshold;
  chart.warmup = config.warmup;
  chart.min_sigma = config.min_sigma;
  return chart;
}

}  // namespace

MetaDriftDetector::MetaDriftDetector(MetaDriftDetectorConfig config, PerFeatureCusumEngine cusum,
                                     std::uint64_t changes)
    : config_(config), cusum_(std::move(cusum)), changes_(changes) {}

Result<MetaDriftDetector> MetaDriftDetector::create(const MetaDriftDetectorConfig& config) {
  // The chart validates every field this config shares with it, under the same names.
  auto cusum = PerFeatureCusumEngine::create(chart_config(config));
  if (!cusum) {
    return std::unexpected(std::move(cusum).error());
  }
  return MetaDriftDetector(config, std::move(*cusum), 0);
}

Result<MetaDriftDetector> MetaDriftDetector::restore(const MetaDriftDetectorSnapshot& snapshot) {
  if (auto made = PerFeatureCusumEngine::create(chart_config(snapshot.config)); !made) {
    return fail(ErrorCode::corrupt_snapshot, "config." + made.error().field, made.error().bound);
  }
  if (snapshot.cusum.config != chart_config(snapshot.config)) {
    return fail(ErrorCode::corrupt_snapshot, "cusum.config",
                "must be the one-feature chart derived from config");
  }
  auto cusum = PerFeatureCusumEngine::restore(snapshot.cusum);
  if (!cusum) {
    return fail(ErrorCode::corrupt_snapshot, "cusum." + cusum.error().field, cusum.error().bound);
  }
  if (snapshot.changes > snapshot.cusum.observations) {
    return fail(ErrorCode::corrupt_snapshot, "changes", "must be <= cusum.observations");
  }
  return MetaDriftDetector(snapshot.config, std::move(*cusum), snapshot.changes);
}

MetaDriftDetectorSnapshot MetaDriftDetector::snapshot() const {
  return MetaDriftDetectorSnapshot{
      .config = config_,
      .cusum = cusum_.snapshot(),
      .changes = changes_,
  };
}

Result<std::optional<RegimeChange>> MetaDriftDetector::observe(double score) noexcept {
  if (!std::isfinite(score)) [[unlikely]] {
    return std::unexpected(require_finite(score, "score").error());
  }
  const double mean = cusum_.baseline_mean()[0];
  const double sigma = cusum_.baseline_sigma()[0];
  auto alerts = cusum_.observe(std::span<const double>(&score, 1));
  if (!alerts) [[unlikely]] {
    return std::unexpected(std::move(alerts).error());
  }
  if (alerts->empty()) {
    return std::optional<RegimeChange>();
  }
  const CusumAlert& alert = alerts->front();
  const std::uint64_t time_index = cusum_.observations() - 1;
  RegimeChange change{
      .time_index = time_index,
      .change_index = time_index + 1 - alert.run_length,
      .direction = alert.direction,
      .magnitude = alert.magnitude,
      .baseline_mean = mean,
      .baseline_sigma = sigma,
  };
  ++changes_;
  cusum_.restart_baseline();
  return std::optional<RegimeChange>(change);
}

}  // namespace anomstream::drift
