#include "pipeline/stream_pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "anomstream/drift/meta_drift_detector.hpp"
#include "anomstream/forest/tenant_forest_pool.hpp"
#include "anomstream/forest/thresholded_forest.hpp"
#include "anomstream/stats/normalizer.hpp"
#include "anomstream/stats/severity_bands.hpp"
#include "persist/snapshot_codec.hpp"

namespace anomstream::daemon {
namespace {

// The stream's forest seed: the library's tenant_seed (SipHash-2-4 under the configured
// seed) of tenant, NUL, stream, so two streams draw unrelated random cuts while a
// restart, or another machine with the same configuration, rebuilds the same forest.
// Not a secret, and not meant to be: the seed is in the configuration (and snapshots),
// and reproducing a stream's forest from it is the point.
std::uint64_t stream_seed(std::uint64_t seed, const std::string& tenant, const std::string& stream) {
  return forest::tenant_seed(seed, tenant + '\0' + stream);
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

// The stream's size as the configuration allows it. The forest's memory is fixed by its
// dimension, tree count and sample size (each tree reserves for a full sample), none of
// which the state's bytes bound: a few kilobytes of empty trees can declare gigabytes.
Status within_configuration(const PipelineSettings& settings, const state::v1::StreamState& state) {
  const std::size_t dimension = state.dimension();
  if (dimension == 0 || dimension > settings.max_dimension) {
    return fail(ErrorCode::corrupt_snapshot, "stream.dimension",
                "must be in [1, " + std::to_string(settings.max_dimension) + "] (ingest.max_dimension)");
  }
  const auto& config = state.forest().forest().forest().config();
  if (config.num_trees() != settings.num_trees) {
    return fail(ErrorCode::corrupt_snapshot, "forest.config.num_trees",
                "must equal pipeline.forest.num_trees (" + std::to_string(settings.num_trees) + ")");
  }
  if (config.sample_size() != settings.sample_size) {
    return fail(ErrorCode::corrupt_snapshot, "forest.config.sample_size",
                "must equal pipeline.forest.sample_size (" + std::to_string(settings.sample_size) + ")");
  }
  return {};
}

class ForestPipeline final : public StreamPipeline {
 public:
  ForestPipeline(const PipelineSettings& settings, stats::Normalizer<> normalizer, forest::ThresholdedForest forest,
                 stats::SeverityBands bands, drift::MetaDriftDetector drift, std::size_t dimension,
                 std::uint64_t position = 0)
      : position_(position),
        settings_(settings),
        normalizer_(std::move(normalizer)),
        forest_(std::move(forest)),
        bands_(std::move(bands)),
        drift_(std::move(drift)),
        normalized_(dimension),
        expected_(dimension),
        order_(dimension) {}

  Result<PipelineOutcome> process(const WorkItem& item) override {
    const std::span<const double> x(item.values);
    if (auto s = require_dimension(x.size(), normalized_.size(), "values"); !s) {
      return std::unexpected(s.error());
    }
    if (auto s = normalizer_.transform(x, normalized_); !s) return std::unexpected(s.error());
    if (auto s = forest_.process(normalized_, item.update, descriptor_); !s) return std::unexpected(s.error());
    ++position_;
    // Anomalies do not move the normaliser's statistics, or one scan of hundreds of
    // ports would widen the scale that the next scan is measured on.
    if (!descriptor_.anomalous) {
      if (auto s = normalizer_.observe(x); !s) return std::unexpected(s.error());
    }
    PipelineOutcome outcome;
    outcome.score = descriptor_.score;
    if (forest_.forest().is_ready()) {
      if (auto change = drift_.observe(descriptor_.score); change && *change) {
        outcome.regime_change = RegimeChange{.up = (*change)->direction == drift::ShiftDirection::up,
                                             .magnitude = (*change)->magnitude,
                                             .time_index = static_cast<std::uint64_t>((*change)->time_index)};
      }
    }
    if (!descriptor_.anomalous) return outcome;
    const auto severity = bands_.classify(descriptor_.grade);
    if (!severity || *severity == stats::Severity::none) return outcome;
    outcome.alert = make_alert(item, *severity);
    return outcome;
  }

  [[nodiscard]] std::size_t memory_bytes() const override {
    return forest_.memory_bytes() + sizeof(*this) + normalizer_.memory_bytes() - sizeof(normalizer_) +
           (normalized_.size() + expected_.size()) * sizeof(double) + order_.size() * sizeof(std::size_t);
  }

  void snapshot(const std::string& stream, state::v1::StreamState& out) const override {
    out.set_stream(stream);
    out.set_dimension(static_cast<std::uint32_t>(normalized_.size()));
    out.set_position(position_);
    auto* state = out.mutable_forest();
    to_proto(normalizer_.snapshot(), *state->mutable_normalizer());
    to_proto(forest_.snapshot(), *state->mutable_forest());
    to_proto(bands_.snapshot(), *state->mutable_severity());
    to_proto(drift_.snapshot(), *state->mutable_meta_drift());
  }

  Status retune(const PipelineSettings& settings) override {
    auto bands = severity_bands(settings);
    if (!bands) return std::unexpected(bands.error());
    if (auto s = forest_.retune(threshold_config(settings)); !s) return s;
    bands_ = std::move(*bands);
    settings_.z_factor = settings.z_factor;
    settings_.min_score = settings.min_score;
    settings_.severity_thresholds = settings.severity_thresholds;
    settings_.top_features = settings.top_features;
    return {};
  }

  [[nodiscard]] std::size_t dimension() const noexcept override { return normalized_.size(); }
  [[nodiscard]] std::uint64_t position() const noexcept override { return position_; }
  [[nodiscard]] std::uint64_t normalizer_clipped() const noexcept override { return normalizer_.clipped(); }

 private:
  v1::Alert make_alert(const WorkItem& item, stats::Severity severity) {
    v1::Alert alert;
    alert.set_tenant(item.tenant);
    alert.set_stream(item.stream);
    alert.set_timestamp_ns(item.timestamp_ns);
    alert.set_received_ns(item.received_ns);
    alert.set_score(descriptor_.score);
    alert.set_grade(descriptor_.grade);
    alert.set_threshold(descriptor_.threshold);
    alert.set_severity(to_wire(severity));
    const auto& a = descriptor_.attribution;
    const double total = a.high.empty() ? 0.0 : a.total();
    bool have_expected = false;
    if (descriptor_.expected.size() == normalized_.size()) {
      have_expected = static_cast<bool>(normalizer_.inverse_transform(descriptor_.expected, expected_));
    }
    if (total > 0) {
      std::iota(order_.begin(), order_.end(), std::size_t{0});
      const std::size_t top = std::min(settings_.top_features, order_.size());
      std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(top), order_.end(),
                        [&](std::size_t l, std::size_t r) { return a.high_low_sum(l) > a.high_low_sum(r); });
      for (std::size_t k = 0; k < top; ++k) {
        const std::size_t i = order_[k];
        auto* f = alert.add_top_features();
        f->set_index(static_cast<std::uint32_t>(i));
        f->set_share(a.high_low_sum(i) / total);
        f->set_direction(a.high[i] >= a.low[i] ? v1::DIRECTION_HIGH : v1::DIRECTION_LOW);
        f->set_value(item.values[i]);
        if (have_expected) f->set_expected(expected_[i]);
      }
    }
    return alert;
  }

  std::uint64_t position_ = 0;
  PipelineSettings settings_;
  stats::Normalizer<> normalizer_;
  forest::ThresholdedForest forest_;
  stats::SeverityBands bands_;
  drift::MetaDriftDetector drift_;
  forest::AnomalyDescriptor descriptor_;
  std::vector<double> normalized_;
  std::vector<double> expected_;
  std::vector<std::size_t> order_;
};

}  // namespace

Result<std::unique_ptr<StreamPipeline>> StreamPipeline::create(const PipelineSettings& settings,
                                                               const std::string& tenant,
                                                               const std::string& stream, std::size_t dimension) {
  auto kind = stats::parse_normalizer_kind(settings.normalizer, "pipeline.normalizer");
  if (!kind) return std::unexpected(kind.error());
  auto normalizer = stats::Normalizer<>::create(dimension, stats::NormalizerConfig{.kind = *kind});
  if (!normalizer) return std::unexpected(normalizer.error());

  forest::ThresholdedForestConfig config;
  config.forest.dimension = dimension;
  config.forest.num_trees = settings.num_trees;
  config.forest.sample_size = settings.sample_size;
  config.forest.seed = stream_seed(settings.seed, tenant, stream);
  config.forest.time_decay =
      settings.time_decay > 0 ? settings.time_decay : forest::default_time_decay(settings.sample_size);
  config.forest.output_after =
      settings.output_after > 0 ? settings.output_after : forest::default_output_after(settings.sample_size);
  config.threshold = threshold_config(settings);
  auto forest = forest::ThresholdedForest::create(config);
  if (!forest) return std::unexpected(forest.error());
  auto bands = severity_bands(settings);
  if (!bands) return std::unexpected(bands.error());
  auto drift = drift::MetaDriftDetector::create({});
  if (!drift) return std::unexpected(drift.error());
  return std::make_unique<ForestPipeline>(settings, std::move(*normalizer), std::move(*forest),
                                          std::move(*bands), std::move(*drift), dimension);
}

Result<std::unique_ptr<StreamPipeline>> StreamPipeline::restore(const PipelineSettings& settings,
                                                                const state::v1::StreamState& state) {
  if (!state.has_forest()) return fail(ErrorCode::corrupt_snapshot, "stream.detector", "a forest pipeline");
  if (auto s = within_configuration(settings, state); !s) return std::unexpected(s.error());
  const auto& f = state.forest();
  auto normalizer_state = from_proto(f.normalizer());
  if (!normalizer_state) return std::unexpected(normalizer_state.error());
  auto normalizer = stats::Normalizer<>::restore(*normalizer_state);
  if (!normalizer) return std::unexpected(normalizer.error());
  auto forest_state = from_proto(f.forest());
  if (!forest_state) return std::unexpected(forest_state.error());
  auto forest = forest::ThresholdedForest::restore(*forest_state);
  if (!forest) return std::unexpected(forest.error());
  auto drift_state = from_proto(f.meta_drift());
  if (!drift_state) return std::unexpected(drift_state.error());
  auto drift = drift::MetaDriftDetector::restore(*drift_state);
  if (!drift) return std::unexpected(drift.error());
  const std::size_t dimension = state.dimension();
  if (normalizer_state->mean.size() != dimension || forest_state->forest.config.dimension != dimension) {
    return fail(ErrorCode::corrupt_snapshot, "stream.dimension",
                "normaliser and forest must have the stream's dimension " + std::to_string(dimension));
  }
  if (forest->processed() != state.position()) {
    return fail(ErrorCode::corrupt_snapshot, "stream.position", "must equal the observations the forest processed");
  }
  auto bands = severity_bands(settings);
  if (!bands) return std::unexpected(bands.error());
  auto pipeline = std::make_unique<ForestPipeline>(settings, std::move(*normalizer), std::move(*forest),
                                                   std::move(*bands), std::move(*drift), dimension, state.position());
  if (auto s = pipeline->retune(settings); !s) return std::unexpected(s.error());
  return pipeline;
}

Fingerprint model_fingerprint(const PipelineSettings& s) {
  const std::size_t output_after =
      s.output_after > 0 ? s.output_after : forest::default_output_after(s.sample_size);
  const double time_decay = s.time_decay > 0 ? s.time_decay : forest::default_time_decay(s.sample_size);
  std::string text = "detector=forest\nnormalizer=" + s.normalizer + "\nnum_trees=" + std::to_string(s.num_trees) +
                     "\nsample_size=" + std::to_string(s.sample_size) + "\nseed=" + std::to_string(s.seed) +
                     "\noutput_after=" + std::to_string(output_after) + "\ntime_decay=";
  char decay[32];
  std::snprintf(decay, sizeof decay, "%.17g", time_decay);
  text += decay;
  return sha256(text);
}

}  // namespace anomstream::daemon
