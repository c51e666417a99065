#include "pipeline/stream_pipeline.hpp"

#include <cstdio>

#include "anomstream/forest/tenant_forest_pool.hpp"
#include "pipeline/forest_pipeline.hpp"
#include "pipeline/kmeans_pipeline.hpp"
#include "pipeline/left_mp_pipeline.hpp"

namespace anomstream::daemon {
namespace {

// Whether `pattern` (an exact name, or a prefix ending in '*') names `stream`.
bool matches(std::string_view pattern, std::string_view stream) noexcept {
  if (pattern.ends_with('*')) return stream.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == stream;
}

// Text that reads back as the same double.
std::string exact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

std::string_view to_string(DetectorKind kind) noexcept {
  switch (kind) {
    case DetectorKind::forest: return "forest";
    case DetectorKind::kmeans: return "kmeans";
    case DetectorKind::left_mp: return "left_mp";
  }
  return "?";
}

std::optional<DetectorKind> parse_detector_kind(std::string_view name) noexcept {
  for (const auto kind : {DetectorKind::forest, DetectorKind::kmeans, DetectorKind::left_mp}) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

DetectorKind detector_for(const PipelineSettings& settings, std::string_view stream) noexcept {
  DetectorKind kind = settings.detector;
  std::size_t longest = 0;
  const std::pair<DetectorKind, const std::vector<std::string>*> lists[] = {
      {DetectorKind::forest, &settings.forest_streams},
      {DetectorKind::kmeans, &settings.kmeans_streams},
      {DetectorKind::left_mp, &settings.left_mp_streams}};
  for (const auto& [candidate, patterns] : lists) {
    for (const auto& pattern : *patterns) {
      // Longer first; an exact name outranks a prefix of its length.
      const bool prefix = pattern.ends_with('*');
      const std::size_t rank = 2 * (pattern.size() - (prefix ? 1 : 0)) + (prefix ? 0 : 1);
      if (rank > longest && matches(pattern, stream)) {
        longest = rank;
        kind = candidate;
      }
    }
  }
  return kind;
}

Result<std::unique_ptr<StreamPipeline>> StreamPipeline::create(const PipelineSettings& settings,
                                                               const std::string& tenant,
                                                               const std::string& stream, std::size_t dimension) {
  switch (detector_for(settings, stream)) {
    case DetectorKind::forest: return create_forest_pipeline(settings, tenant, stream, dimension);
    case DetectorKind::kmeans: return create_kmeans_pipeline(settings, tenant, stream, dimension);
    case DetectorKind::left_mp: return create_left_mp_pipeline(settings, tenant, stream, dimension);
  }
  return fail(ErrorCode::invalid_config, "pipeline.detector", "forest, kmeans or left_mp");
}

Result<std::unique_ptr<StreamPipeline>> StreamPipeline::restore(const PipelineSettings& settings,
                                                                const state::v1::StreamState& state) {
  const std::size_t dimension = state.dimension();
  if (dimension == 0 || dimension > settings.max_dimension) {
    return fail(ErrorCode::corrupt_snapshot, "stream.dimension",
                "must be in [1, " + std::to_string(settings.max_dimension) + "] (ingest.max_dimension)");
  }
  const DetectorKind kind = detector_for(settings, state.stream());
  switch (state.detector_case()) {
    case state::v1::StreamState::kForest:
      if (kind == DetectorKind::forest) return restore_forest_pipeline(settings, state);
      break;
    case state::v1::StreamState::kKmeans:
      if (kind == DetectorKind::kmeans) return restore_kmeans_pipeline(settings, state);
      break;
    case state::v1::StreamState::kLeftMp:
      if (kind == DetectorKind::left_mp) return restore_left_mp_pipeline(settings, state);
      break;
    default: break;
  }
  return fail(ErrorCode::corrupt_snapshot, "stream.detector",
              "must be the stream's configured detector, " + std::string(to_string(kind)));
}

Fingerprint model_fingerprint(const PipelineSettings& s) {
  const std::size_t output_after =
      s.output_after > 0 ? s.output_after : forest::default_output_after(s.sample_size);
  const double time_decay = s.time_decay > 0 ? s.time_decay : forest::default_time_decay(s.sample_size);
  std::string text = "detector=forest\nnormalizer=" + s.normalizer + "\nnum_trees=" + std::to_string(s.num_trees) +
                     "\nsample_size=" + std::to_string(s.sample_size) + "\nseed=" + std::to_string(s.seed) +
                     "\noutput_after=" + std::to_string(output_after) + "\ntime_decay=" + exact(time_decay);
  // A configuration that scores every stream with the forest keeps the fingerprint it
  // had before other detectors existed, so its states stay valid across the upgrade.
  if (s.detector == DetectorKind::forest && s.kmeans_streams.empty() && s.left_mp_streams.empty()) {
    return sha256(text);
  }
  text += "\ndefault_detector=" + std::string(to_string(s.detector));
  for (const auto& pattern : s.forest_streams) text += "\nstreams.forest=" + pattern;
  for (const auto& pattern : s.kmeans_streams) text += "\nstreams.kmeans=" + pattern;
  for (const auto& pattern : s.left_mp_streams) text += "\nstreams.left_mp=" + pattern;
  const auto& k = s.kmeans;
  text += "\nkmeans.normalizer=" + k.normalizer + "\nkmeans.window=" + std::to_string(k.window) + "\nkmeans.clusters=" + std::to_string(k.clusters) +
          "\nkmeans.warmup=" + std::to_string(k.warmup) + "\nkmeans.reservoir=" + std::to_string(k.reservoir) +
          "\nkmeans.max_count=" + std::to_string(k.max_count) + "\nkmeans.newest_weight=" + exact(k.newest_weight) +
          "\nleft_mp.window=" +
          std::to_string(s.left_mp.window) + "\nleft_mp.history=" + std::to_string(s.left_mp.history) +
          "\nleft_mp.normalize=" + (s.left_mp.normalize ? "true" : "false");
  return sha256(text);
}

}  // namespace anomstream::daemon
