#include "pipeline/kmeans_pipeline.hpp"

#include "anomstream/stats/normalizer.hpp"
#include "persist/snapshot_codec.hpp"
#include "pipeline/pipeline_parts.hpp"

namespace anomstream::daemon {
namespace {

using subsequence::SubsequenceKMeans;

class KMeansPipeline final : public StreamPipeline {
 public:
  KMeansPipeline(const PipelineSettings& settings, stats::Normalizer<> normalizer, SubsequenceKMeans kmeans,
                 pipeline_parts::ScoreGate gate, std::uint64_t position = 0, std::uint64_t last_alert_position = 0)
      : position_(position),
        last_alert_position_(last_alert_position),
        top_features_(settings.top_features),
        normalizer_(std::move(normalizer)),
        kmeans_(std::move(kmeans)),
        gate_(std::move(gate)),
        normalized_(kmeans_.config().dimension),
        expected_(kmeans_.config().dimension),
        expected_raw_(kmeans_.config().dimension),
        order_(kmeans_.config().dimension) {}

  Result<PipelineOutcome> process(const WorkItem& item) override {
    const std::span<const double> x(item.values);
    if (auto s = require_dimension(x.size(), normalized_.size(), "values"); !s) return std::unexpected(s.error());
    if (auto s = normalizer_.transform(x, normalized_); !s) return std::unexpected(s.error());
    if (auto s = kmeans_.push(normalized_); !s) return std::unexpected(s.error());
    ++position_;
    const bool ready = kmeans_.is_full() && kmeans_.is_ready();
    const double score = kmeans_.score();
    auto verdict = gate_.judge(score, ready);
    if (!verdict) return std::unexpected(verdict.error());
    PipelineOutcome outcome;
    outcome.score = score;
    outcome.regime_change = verdict->regime_change;
    const bool above = verdict->severity != stats::Severity::none;
    if (above) {
      // Explained against the centroids that scored it, before the window moves one.
      auto attribution = kmeans_.attribution();
      if (!attribution) return std::unexpected(attribution.error());
      if (is_echo(*attribution)) {
        outcome.echo = true;
      } else {
        outcome.alert = make_alert(item, *verdict, score, *attribution);
        last_alert_position_ = position_;
      }
    }
    if (item.update && kmeans_.is_full()) {
      if (auto s = kmeans_.learn(); !s) return std::unexpected(s.error());
    }
    // Rows above the threshold do not move the scaling (as in the forest pipeline).
    if (!above) {
      if (auto s = normalizer_.observe(x); !s) return std::unexpected(s.error());
    }
    return outcome;
  }

  [[nodiscard]] std::size_t memory_bytes() const override {
    return sizeof(*this) - sizeof(kmeans_) - sizeof(normalizer_) + kmeans_.memory_bytes() +
           normalizer_.memory_bytes() +
           (normalized_.capacity() + expected_.capacity() + expected_raw_.capacity()) * sizeof(double) +
           order_.capacity() * sizeof(std::size_t);
  }

  void snapshot(const std::string& stream, state::v1::StreamState& out) const override {
    out.set_stream(stream);
    out.set_dimension(static_cast<std::uint32_t>(normalized_.size()));
    out.set_position(position_);
    auto* state = out.mutable_kmeans();
    to_proto(kmeans_.snapshot(), *state->mutable_kmeans());
    to_proto(gate_.snapshot(), *state->mutable_gate());
    to_proto(normalizer_.snapshot(), *state->mutable_normalizer());
    state->set_last_alert_position(last_alert_position_);
  }

  Status retune(const PipelineSettings& settings) override {
    if (auto s = gate_.retune(settings); !s) return s;
    top_features_ = settings.top_features;
    return {};
  }

  [[nodiscard]] std::size_t dimension() const noexcept override { return normalized_.size(); }
  [[nodiscard]] std::uint64_t position() const noexcept override { return position_; }
  [[nodiscard]] std::uint64_t normalizer_clipped() const noexcept override { return normalizer_.clipped(); }

 private:
  // pipeline_parts::is_window_echo, the window's largest share by lag deciding.
  [[nodiscard]] bool is_echo(const forest::LagAttribution& attribution) const noexcept {
    return pipeline_parts::is_window_echo(last_alert_position_, position_, kmeans_.config().window,
                                          [&] { return std::optional<std::size_t>(attribution.top_lag()); });
  }

  v1::Alert make_alert(const WorkItem& item, const pipeline_parts::ScoreGate::Verdict& verdict, double score,
                       const forest::LagAttribution& attribution) {
    v1::Alert alert = pipeline_parts::make_alert(item, DetectorKind::kmeans, score, verdict.grade, verdict.threshold,
                                                 verdict.severity);
    const bool have_expected = kmeans_.expected_newest(expected_) &&
                               normalizer_.inverse_transform(expected_, expected_raw_);
    const std::span<const double> expected =
        have_expected ? std::span<const double>(expected_raw_) : std::span<const double>();
    pipeline_parts::add_top_features(alert, attribution.by_feature, item.values, expected, top_features_, order_);
    return alert;
  }

  std::uint64_t position_ = 0;
  std::uint64_t last_alert_position_ = 0;  // 0: no alert yet
  std::size_t top_features_ = 0;
  stats::Normalizer<> normalizer_;
  SubsequenceKMeans kmeans_;
  pipeline_parts::ScoreGate gate_;
  std::vector<double> normalized_;
  std::vector<double> expected_;      // in the normaliser's scale
  std::vector<double> expected_raw_;  // in the stream's units
  std::vector<std::size_t> order_;
};

}  // namespace

subsequence::SubsequenceKMeansConfig kmeans_config(const KMeansSettings& s, std::size_t dimension, std::uint64_t seed) {
  return {.dimension = dimension,
          .window = s.window,
          .clusters = s.clusters,
          .warmup = s.warmup,
          .reservoir = s.reservoir,
          .max_count = s.max_count,
          .alignment = subsequence::ScoreAlignment::newest,
          .newest_weight = s.newest_weight,
          .seed = seed};
}

Result<std::unique_ptr<StreamPipeline>> create_kmeans_pipeline(const PipelineSettings& settings, const std::string& tenant,
                                                               const std::string& stream, std::size_t dimension) {
  auto kind = stats::parse_normalizer_kind(settings.kmeans.normalizer, "pipeline.kmeans.normalizer");
  if (!kind) return std::unexpected(kind.error());
  auto normalizer = stats::Normalizer<>::create(dimension, stats::NormalizerConfig{.kind = *kind});
  if (!normalizer) return std::unexpected(normalizer.error());
  auto kmeans = SubsequenceKMeans::create(
      kmeans_config(settings.kmeans, dimension, pipeline_parts::stream_seed(settings.seed, tenant, stream)));
  if (!kmeans) return std::unexpected(kmeans.error());
  auto gate = pipeline_parts::ScoreGate::create(settings);
  if (!gate) return std::unexpected(gate.error());
  return std::make_unique<KMeansPipeline>(settings, std::move(*normalizer), std::move(*kmeans), std::move(*gate));
}

Result<std::unique_ptr<StreamPipeline>> restore_kmeans_pipeline(const PipelineSettings& settings,
                                                                const state::v1::StreamState& state) {
  const auto& k = state.kmeans();
  auto snapshot = from_proto(k.kmeans());
  if (!snapshot) return std::unexpected(snapshot.error());
  // Every parameter but the seed (the stream's, which restore cannot rederive) must be the
  // configured one, checked before the library allocates what the state declares.
  if (snapshot->config != kmeans_config(settings.kmeans, state.dimension(), snapshot->config.seed)) {
    return fail(ErrorCode::corrupt_snapshot, "kmeans.config",
                "must equal pipeline.kmeans at the stream's dimension " + std::to_string(state.dimension()));
  }
  auto kmeans = SubsequenceKMeans::restore(*snapshot);
  if (!kmeans) return std::unexpected(kmeans.error());
  if (kmeans->rows_seen() != state.position()) {
    return fail(ErrorCode::corrupt_snapshot, "stream.position", "must equal the rows the detector has seen");
  }
  auto normalizer_state = from_proto(k.normalizer());
  if (!normalizer_state) return std::unexpected(normalizer_state.error());
  auto normalizer = stats::Normalizer<>::restore(*normalizer_state);
  if (!normalizer) return std::unexpected(normalizer.error());
  if (normalizer_state->mean.size() != state.dimension()) {
    return fail(ErrorCode::corrupt_snapshot, "kmeans.normalizer", "must have the stream's dimension");
  }
  if (k.last_alert_position() > state.position()) {
    return fail(ErrorCode::corrupt_snapshot, "kmeans.last_alert_position", "must not exceed stream.position");
  }
  auto gate_state = from_proto(k.gate());
  if (!gate_state) return std::unexpected(gate_state.error());
  auto gate = pipeline_parts::ScoreGate::restore(settings, *gate_state);
  if (!gate) return std::unexpected(gate.error());
  return std::make_unique<KMeansPipeline>(settings, std::move(*normalizer), std::move(*kmeans), std::move(*gate),
                                          state.position(), k.last_alert_position());
}

}  // namespace anomstream::daemon
