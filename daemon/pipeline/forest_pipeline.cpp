#include "pipeline/forest_pipeline.hpp"

#include <algorithm>
#include <cmath>

#include "anomstream/drift/meta_drift_detector.hpp"
#include "anomstream/forest/tenant_forest_pool.hpp"
#include "anomstream/forest/thresholded_forest.hpp"
#include "anomstream/stats/normalizer.hpp"
#include "anomstream/stats/severity_bands.hpp"
#include "persist/snapshot_codec.hpp"
#include "pipeline/pipeline_parts.hpp"

namespace anomstream::daemon {
namespace {

// The forest's size as the configuration allows it (the stream's dimension is checked
// before). The forest's memory is fixed by its
// dimension, tree count and sample size (each tree reserves for a full sample), none of
// which the state's bytes bound: a few kilobytes of empty trees can declare gigabytes.
Status within_configuration(const PipelineSettings& settings, const state::v1::StreamState& state) {
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
        outcome.regime_change = pipeline_parts::regime_change(**change);
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
    auto bands = pipeline_parts::severity_bands(settings);
    if (!bands) return std::unexpected(bands.error());
    if (auto s = forest_.retune(pipeline_parts::threshold_config(settings)); !s) return s;
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

  // The forest's live sample points (in the normaliser's space, where the forest scores):
  // every k-th of them as rows and as background, so both spread over the sample.
  [[nodiscard]] std::optional<ExplainModel> explain_model(std::size_t rows, std::size_t background) const override {
    const auto& forest = forest_.forest();
    if (!forest.is_ready()) return std::nullopt;
    const auto& store = forest.point_store();
    const std::size_t d = normalized_.size();
    std::vector<std::uint32_t> live;
    for (std::uint32_t i = 0; i < store.slots(); ++i) {
      if (store.ref_count(i) > 0) live.push_back(i);
    }
    if (live.size() < 2) return std::nullopt;
    const auto take = [&](std::size_t count, std::size_t offset) {
      std::vector<double> out;
      const std::size_t n = std::min(count, live.size());
      const std::size_t stride = live.size() / n;
      for (std::size_t k = 0; k < n; ++k) {
        const float* p = store.point(live[(k * stride + offset) % live.size()]);
        out.insert(out.end(), p, p + d);
      }
      return out;
    };
    ExplainModel model;
    model.dimension = d;
    model.rows = take(rows, 0);
    model.background = take(background, live.size() / (2 * std::max<std::size_t>(1, background)) + 1);
    // The copy scores serially on the caller's thread, whatever executor the original has.
    auto own = std::make_shared<forest::RandomCutForest>(forest);
    own->set_executor(nullptr);
    std::shared_ptr<const forest::RandomCutForest> copy = std::move(own);
    model.score = [copy](std::span<const double> row) { return copy->score(row).value_or(0.0); };
    return model;
  }

 private:
  v1::Alert make_alert(const WorkItem& item, stats::Severity severity) {
    v1::Alert alert = pipeline_parts::make_alert(item, DetectorKind::forest, descriptor_.score, descriptor_.grade,
                                                 descriptor_.threshold, severity);
    bool have_expected = false;
    if (descriptor_.expected.size() == normalized_.size()) {
      have_expected = static_cast<bool>(normalizer_.inverse_transform(descriptor_.expected, expected_));
    }
    const std::span<const double> expected = have_expected ? std::span<const double>(expected_) : std::span<const double>();
    pipeline_parts::add_top_features(alert, descriptor_.attribution, item.values, expected, settings_.top_features,
                                     order_);
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

Result<std::unique_ptr<StreamPipeline>> create_forest_pipeline(const PipelineSettings& settings, const std::string& tenant,
                                                               const std::string& stream, std::size_t dimension) {
  auto kind = stats::parse_normalizer_kind(settings.normalizer, "pipeline.normalizer");
  if (!kind) return std::unexpected(kind.error());
  auto normalizer = stats::Normalizer<>::create(dimension, stats::NormalizerConfig{.kind = *kind});
  if (!normalizer) return std::unexpected(normalizer.error());

  forest::ThresholdedForestConfig config;
  config.forest.dimension = dimension;
  config.forest.num_trees = settings.num_trees;
  config.forest.sample_size = settings.sample_size;
  config.forest.seed = pipeline_parts::stream_seed(settings.seed, tenant, stream);
  config.forest.time_decay =
      settings.time_decay > 0 ? settings.time_decay : forest::default_time_decay(settings.sample_size);
  config.forest.output_after =
      settings.output_after > 0 ? settings.output_after : forest::default_output_after(settings.sample_size);
  config.threshold = pipeline_parts::threshold_config(settings);
  auto forest = forest::ThresholdedForest::create(config);
  if (!forest) return std::unexpected(forest.error());
  auto bands = pipeline_parts::severity_bands(settings);
  if (!bands) return std::unexpected(bands.error());
  auto drift = drift::MetaDriftDetector::create({});
  if (!drift) return std::unexpected(drift.error());
  return std::make_unique<ForestPipeline>(settings, std::move(*normalizer), std::move(*forest),
                                          std::move(*bands), std::move(*drift), dimension);
}

Result<std::unique_ptr<StreamPipeline>> restore_forest_pipeline(const PipelineSettings& settings,
                                                                const state::v1::StreamState& state) {
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
  auto bands = pipeline_parts::severity_bands(settings);
  if (!bands) return std::unexpected(bands.error());
  auto pipeline = std::make_unique<ForestPipeline>(settings, std::move(*normalizer), std::move(*forest),
                                                   std::move(*bands), std::move(*drift), dimension, state.position());
  if (auto s = pipeline->retune(settings); !s) return std::unexpected(s.error());
  return pipeline;
}

}  // namespace anomstream::daemon
