#include "pipeline/left_mp_pipeline.hpp"

#include "persist/snapshot_codec.hpp"
#include "pipeline/pipeline_parts.hpp"

namespace anomstream::daemon {
namespace {

using subsequence::LeftMatrixProfile;

class LeftMpPipeline final : public StreamPipeline {
 public:
  LeftMpPipeline(const PipelineSettings& settings, LeftMatrixProfile profile, pipeline_parts::ScoreGate gate,
                 std::uint64_t last_alert_position = 0)
      : last_alert_position_(last_alert_position),
        top_features_(settings.top_features),
        profile_(std::move(profile)),
        gate_(std::move(gate)) {}

  Result<PipelineOutcome> process(const WorkItem& item) override {
    if (auto s = require_dimension(item.values.size(), 1, "values"); !s) return std::unexpected(s.error());
    auto processed = profile_.process(item.values[0]);
    if (!processed) return std::unexpected(processed.error());
    const double score = profile_.score();
    auto verdict = gate_.judge(score, profile_.is_ready());
    if (!verdict) return std::unexpected(verdict.error());
    PipelineOutcome outcome;
    outcome.score = score;
    outcome.regime_change = verdict->regime_change;
    if (verdict->severity == stats::Severity::none) return outcome;
    const std::uint64_t position = profile_.rows_seen();
    if (is_echo(position)) {
      outcome.echo = true;
      return outcome;
    }
    last_alert_position_ = position;
    v1::Alert alert = pipeline_parts::make_alert(item, DetectorKind::left_mp, score, verdict->grade,
                                                 verdict->threshold, verdict->severity);
    if (top_features_ > 0) {
      auto* f = alert.add_top_features();
      f->set_index(0);
      f->set_share(1.0);
      f->set_value(item.values[0]);
      auto expected = profile_.expected_newest();
      if (expected) {
        f->set_expected(*expected);
        f->set_direction(item.values[0] >= *expected ? v1::DIRECTION_HIGH : v1::DIRECTION_LOW);
      }
    }
    outcome.alert = std::move(alert);
    return outcome;
  }

  [[nodiscard]] std::size_t memory_bytes() const override {
    return sizeof(*this) - sizeof(profile_) + profile_.memory_bytes();
  }

  void snapshot(const std::string& stream, state::v1::StreamState& out) const override {
    out.set_stream(stream);
    out.set_dimension(1);
    out.set_position(profile_.rows_seen());
    auto* state = out.mutable_left_mp();
    to_proto(profile_.snapshot(), *state->mutable_left_mp());
    to_proto(gate_.snapshot(), *state->mutable_gate());
    state->set_last_alert_position(last_alert_position_);
  }

  Status retune(const PipelineSettings& settings) override {
    if (auto s = gate_.retune(settings); !s) return s;
    top_features_ = settings.top_features;
    return {};
  }

  [[nodiscard]] std::size_t dimension() const noexcept override { return 1; }
  [[nodiscard]] std::uint64_t position() const noexcept override { return profile_.rows_seen(); }
  [[nodiscard]] std::uint64_t normalizer_clipped() const noexcept override { return 0; }

 private:
  // pipeline_parts::is_window_echo, where the subsequence differs most from its nearest
  // neighbour deciding.
  [[nodiscard]] bool is_echo(std::uint64_t position) const noexcept {
    return pipeline_parts::is_window_echo(last_alert_position_, position, profile_.config().window, [&] {
      auto lag = profile_.top_lag();
      return lag ? std::optional<std::size_t>(*lag) : std::nullopt;
    });
  }

  std::uint64_t last_alert_position_ = 0;  // 0: no alert yet
  std::size_t top_features_ = 0;
  LeftMatrixProfile profile_;
  pipeline_parts::ScoreGate gate_;
};

}  // namespace

subsequence::LeftMatrixProfileConfig left_mp_config(const LeftMpSettings& s) {
  subsequence::LeftMatrixProfileConfig config;
  config.window = s.window;
  config.history = s.history;
  config.normalize = s.normalize;
  config.alignment = subsequence::ScoreAlignment::newest;
  return config;
}

Result<std::unique_ptr<StreamPipeline>> create_left_mp_pipeline(const PipelineSettings& settings, const std::string&,
                                                                const std::string&, std::size_t dimension) {
  if (dimension != 1) {
    return fail(ErrorCode::invalid_config, "pipeline.detector",
                "left_mp scores univariate streams (1 value per observation), got " + std::to_string(dimension));
  }
  auto profile = LeftMatrixProfile::create(left_mp_config(settings.left_mp));
  if (!profile) return std::unexpected(profile.error());
  auto gate = pipeline_parts::ScoreGate::create(settings);
  if (!gate) return std::unexpected(gate.error());
  return std::make_unique<LeftMpPipeline>(settings, std::move(*profile), std::move(*gate));
}

Result<std::unique_ptr<StreamPipeline>> restore_left_mp_pipeline(const PipelineSettings& settings,
                                                                 const state::v1::StreamState& state) {
  const auto& l = state.left_mp();
  if (state.dimension() != 1) return fail(ErrorCode::corrupt_snapshot, "stream.dimension", "must be 1 for left_mp");
  auto snapshot = from_proto(l.left_mp());
  if (!snapshot) return std::unexpected(snapshot.error());
  // Checked before the library allocates the history the state declares.
  if (snapshot->config != left_mp_config(settings.left_mp)) {
    return fail(ErrorCode::corrupt_snapshot, "left_mp.config", "must equal pipeline.left_mp");
  }
  auto profile = LeftMatrixProfile::restore(*snapshot);
  if (!profile) return std::unexpected(profile.error());
  if (profile->rows_seen() != state.position()) {
    return fail(ErrorCode::corrupt_snapshot, "stream.position", "must equal the values the detector has seen");
  }
  if (l.last_alert_position() > state.position()) {
    return fail(ErrorCode::corrupt_snapshot, "left_mp.last_alert_position", "must not exceed stream.position");
  }
  auto gate_state = from_proto(l.gate());
  if (!gate_state) return std::unexpected(gate_state.error());
  auto gate = pipeline_parts::ScoreGate::restore(settings, *gate_state);
  if (!gate) return std::unexpected(gate.error());
  return std::make_unique<LeftMpPipeline>(settings, std::move(*profile), std::move(*gate), l.last_alert_position());
}

}  // namespace anomstream::daemon
