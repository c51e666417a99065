#include "pipeline/pipeline_parts.hpp"

#include <algorithm>
#include <numeric>

#include "anomstream/forest/tenant_forest_pool.hpp"

namespace anomstream::daemon::pipeline_parts {

std::uint64_t stream_seed(std::uint64_t seed, const std::string& tenant, const std::string& stream) {
  return forest::tenant_seed(seed, tenant + '\0' + stream);
}

forest::AdaptiveThresholdConfig threshold_config(const PipelineSettings& settings) {
  forest::AdaptiveThresholdConfig config;
  config.z_factor = settings.z_factor;
  config.upper_z_factor = 2 * settings.z_factor;
  config.min_score = settings.min_score;
  return config;
}

Result<stats::SeverityBands> severity_bands(const PipelineSettings& settings) {
  if (settings.severity_thresholds.size() != 4) {
    return fail(ErrorCode::invalid_config, "pipeline.severity_thresholds", "must hold 4 values");
  }
  const auto& t = settings.severity_thresholds;
  return stats::SeverityBands::create({.low = t[0], .medium = t[1], .high = t[2], .critical = t[3]});
}

v1::Severity to_wire(stats::Severity s) {
  switch (s) {
    case stats::Severity::low: return v1::SEVERITY_LOW;
    case stats::Severity::medium: return v1::SEVERITY_MEDIUM;
    case stats::Severity::high: return v1::SEVERITY_HIGH;
    case stats::Severity::critical: return v1::SEVERITY_CRITICAL;
    default: return v1::SEVERITY_UNSPECIFIED;
  }
}

RegimeChange regime_change(const drift::RegimeChange& change) {
  return RegimeChange{.up = change.direction == drift::ShiftDirection::up,
                      .magnitude = change.magnitude,
                      .time_index = change.time_index};
}

v1::Alert make_alert(const WorkItem& item, DetectorKind detector, double score, double grade, double threshold,
                     stats::Severity severity) {
  v1::Alert alert;
  alert.set_tenant(item.tenant);
  alert.set_stream(item.stream);
  alert.set_timestamp_ns(item.timestamp_ns);
  alert.set_received_ns(item.received_ns);
  alert.set_detector(std::string(to_string(detector)));
  alert.set_score(score);
  alert.set_grade(grade);
  alert.set_threshold(threshold);
  alert.set_severity(to_wire(severity));
  return alert;
}

void add_top_features(v1::Alert& alert, const forest::DiVector& a, std::span<const double> values,
                      std::span<const double> expected, std::size_t top, std::vector<std::size_t>& order) {
  const double total = a.high.empty() ? 0.0 : a.total();
  if (!(total > 0)) return;
  std::iota(order.begin(), order.end(), std::size_t{0});
  top = std::min(top, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                    [&](std::size_t l, std::size_t r) { return a.high_low_sum(l) > a.high_low_sum(r); });
  for (std::size_t k = 0; k < top; ++k) {
    const std::size_t i = order[k];
    auto* f = alert.add_top_features();
    f->set_index(static_cast<std::uint32_t>(i));
    f->set_share(a.high_low_sum(i) / total);
    f->set_direction(a.high[i] >= a.low[i] ? v1::DIRECTION_HIGH : v1::DIRECTION_LOW);
    f->set_value(values[i]);
    if (expected.size() == values.size()) f->set_expected(expected[i]);
  }
}

Result<ScoreGate> ScoreGate::create(const PipelineSettings& settings) {
  auto threshold = forest::AdaptiveThreshold::create(threshold_config(settings));
  if (!threshold) return std::unexpected(threshold.error());
  auto bands = severity_bands(settings);
  if (!bands) return std::unexpected(bands.error());
  auto drift = drift::MetaDriftDetector::create({});
  if (!drift) return std::unexpected(drift.error());
  return ScoreGate(*threshold, std::move(*bands), std::move(*drift));
}

Result<ScoreGate> ScoreGate::restore(const PipelineSettings& settings, const ScoreGateSnapshot& snapshot) {
  auto threshold = forest::AdaptiveThreshold::restore(snapshot.threshold);
  if (!threshold) return std::unexpected(threshold.error());
  auto bands = stats::SeverityBands::restore(snapshot.severity);
  if (!bands) return std::unexpected(bands.error());
  auto drift = drift::MetaDriftDetector::restore(snapshot.meta_drift);
  if (!drift) return std::unexpected(drift.error());
  ScoreGate gate(*threshold, std::move(*bands), std::move(*drift));
  if (auto s = gate.retune(settings); !s) return std::unexpected(s.error());
  return gate;
}

Result<ScoreGate::Verdict> ScoreGate::judge(double score, bool ready) noexcept {
  Verdict verdict;
  if (!ready) {
    verdict.threshold = threshold_.threshold();
    return verdict;
  }
  auto grading = threshold_.grade(score);
  if (!grading) return std::unexpected(grading.error());
  if (auto s = threshold_.update(score); !s) return std::unexpected(s.error());
  verdict.threshold = grading->threshold;
  verdict.grade = grading->grade;
  if (auto change = drift_.observe(score); change && *change) verdict.regime_change = regime_change(**change);
  if (verdict.grade > 0) {
    auto severity = bands_.classify(verdict.grade);
    if (!severity) return std::unexpected(severity.error());
    verdict.severity = *severity;
  }
  return verdict;
}

Status ScoreGate::retune(const PipelineSettings& settings) {
  auto bands = severity_bands(settings);
  if (!bands) return std::unexpected(bands.error());
  if (auto s = threshold_.retune(threshold_config(settings)); !s) return s;
  bands_ = std::move(*bands);
  return {};
}

ScoreGateSnapshot ScoreGate::snapshot() const {
  return {threshold_.snapshot(), bands_.snapshot(), drift_.snapshot()};
}

}  // namespace anomstream::daemon::pipeline_parts
