#pragma once
// One stream's detector pipeline, owned by one worker thread. By the stream's detector:
//   forest:  Normalizer -> ThresholdedForest -> SeverityBands -> MetaDriftDetector
//   kmeans:  [Normalizer] -> SubsequenceKMeans -> AdaptiveThreshold -> SeverityBands -> MetaDriftDetector
//   left_mp: LeftMatrixProfile -> AdaptiveThreshold -> SeverityBands -> MetaDriftDetector
// process() scores every observation (score, then update if the sampler allowed it) and
// returns an alert when the adaptive threshold flags it, carrying the detector's
// attribution (top features with their share, direction and expected value) and the
// severity band of its anomaly grade. The meta-drift detector watches the score stream
// for regime changes, which the outcome reports (the worker logs them, rate-limited).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/subsequence/subsequence_kmeans.hpp"
#include "anomstream/state/v1/state.pb.h"
#include "anomstream/v1/alert.pb.h"
#include "ingest/work_item.hpp"
#include "pipeline/explain_model.hpp"
#include "persist/state_file.hpp"

namespace anomstream::daemon {

// Which detector scores a stream (pipeline.detector, pipeline.streams.*).
enum class DetectorKind : std::uint8_t { forest, kmeans, left_mp };

// "forest", "kmeans", "left_mp".
std::string_view to_string(DetectorKind kind) noexcept;
// The kind a name stands for; nullopt for an unknown name.
std::optional<DetectorKind> parse_detector_kind(std::string_view name) noexcept;

// SubsequenceKMeans's parameters (pipeline.kmeans); its alignment is `newest` in the
// daemon (an alert belongs to the observation that completed the window) and its seed
// the stream's, as the forest's.
struct KMeansSettings {
  // Per-feature scaling before the windows (pipeline.kmeans.normalizer). `none` by
  // default: each window is z-normalised as a whole, and scaling each feature first
  // discards what that normalisation gains (TSB-AD's KMeansAD works on raw values).
  std::string normalizer = "none";
  std::size_t window = 40;
  std::size_t clusters = 10;
  std::size_t warmup = 2048;
  std::size_t reservoir = 2048;
  std::size_t max_count = 1000;
  // The window's newest row counts 1 + newest_weight times in the score.
  double newest_weight = subsequence::SubsequenceKMeansConfig{}.newest_weight;
};

// LeftMatrixProfile's parameters (pipeline.left_mp), for univariate streams; alignment
// `newest`, as kmeans.
struct LeftMpSettings {
  std::size_t window = 50;     // m: TSB-AD's and TimeEval's Left_STAMPi default
  std::size_t history = 4096;  // H: candidate neighbours kept (about 64 H bytes per stream)
  // Raw Euclidean distances (false) or z-normalised ones (true, the matrix profile):
  // raw distances were better on 12 of the 16 TSB-AD-U development files (docs/quality.md).
  bool normalize = false;
};

struct PipelineSettings {
  DetectorKind detector = DetectorKind::forest;
  // Streams whose detector is not `detector`, by kind: exact names, or prefixes ending
  // in '*'. The longest matching entry decides (configuration validation keeps an entry
  // in one list only).
  std::vector<std::string> forest_streams;
  std::vector<std::string> kmeans_streams;
  std::vector<std::string> left_mp_streams;
  KMeansSettings kmeans;
  LeftMpSettings left_mp;
  std::string normalizer = "z_score";
  std::size_t num_trees = 100;
  std::size_t sample_size = 256;
  std::uint64_t seed = 42;
  double time_decay = 0;         // 0: 0.1 / sample_size
  std::size_t output_after = 0;  // 0: sample_size / 4
  double z_factor = 3.0;
  double min_score = 1.0;
  std::vector<double> severity_thresholds{0.2, 0.4, 0.7, 0.9};
  std::size_t top_features = 3;
  std::size_t max_dimension = 1024;  // ingest.max_dimension: the widest stream restore accepts
};

// The meta-drift detector's report of a shift in the stream's score level.
struct RegimeChange {
  bool up = true;
  double magnitude = 0;
  std::uint64_t time_index = 0;
};

struct PipelineOutcome {
  double score = 0;
  std::optional<v1::Alert> alert;
  std::optional<RegimeChange> regime_change;  // for the worker to log, rate-limited
  // A window detector's score crossed the threshold because of rows an earlier alert of
  // the stream already reported: no alert, counted by the worker.
  bool echo = false;
};

// The detector of `stream` under `settings`.
DetectorKind detector_for(const PipelineSettings& settings, std::string_view stream) noexcept;

// SHA-256 over the settings that change what a pipeline's state means (detector choice,
// normalizer, forest size, seed, decay, warm-up, the kmeans parameters); a state written under other values is not
// restored. Settings a reload may change (threshold, severity, attribution) are not
// part of it: they are applied over a restored state.
Fingerprint model_fingerprint(const PipelineSettings& settings);

class StreamPipeline {
 public:
  static Result<std::unique_ptr<StreamPipeline>> create(const PipelineSettings& settings,
                                                        const std::string& tenant,
                                                        const std::string& stream, std::size_t dimension);
  // A pipeline from its state; the current settings' live parts (threshold, severity,
  // attribution) apply over it. corrupt_snapshot (naming the field) when the state
  // breaks an invariant of any of its detectors, holds another detector than the
  // stream's, or describes a model other than the configured one (the forest's
  // num_trees and sample_size, every kmeans parameter) or a stream wider than
  // max_dimension:
  // checked before anything is built, so a state file cannot make restore allocate more
  // than the configuration allows.
  static Result<std::unique_ptr<StreamPipeline>> restore(const PipelineSettings& settings,
                                                         const state::v1::StreamState& state);
  virtual ~StreamPipeline() = default;

  // Error only for a dimension other than the stream's.
  virtual Result<PipelineOutcome> process(const WorkItem& item) = 0;
  [[nodiscard]] virtual std::size_t memory_bytes() const = 0;
  // The whole state in the state format (stream name, dimension, position, detectors).
  virtual void snapshot(const std::string& stream, state::v1::StreamState& out) const = 0;
  // Applies the settings a reload may change; the model's state is kept.
  virtual Status retune(const PipelineSettings& settings) = 0;
  // Values per observation of this stream.
  [[nodiscard]] virtual std::size_t dimension() const noexcept = 0;
  // Observations this pipeline has processed (its input position).
  [[nodiscard]] virtual std::uint64_t position() const noexcept = 0;
  // Feature values the normaliser clipped before they entered its statistics (see
  // stats::Normalizer::clipped): a count that only grows while the state lives.
  [[nodiscard]] virtual std::uint64_t normalizer_clipped() const noexcept = 0;
  // What an explanation needs (explain_model.hpp), at most `rows` rows and `background`
  // background rows; nullopt for a detector that cannot be explained this way (kmeans,
  // left_mp) or a model that has not learned enough yet.
  [[nodiscard]] virtual std::optional<ExplainModel> explain_model(std::size_t rows, std::size_t background) const {
    (void)rows;
    (void)background;
    return std::nullopt;
  }

 protected:
  StreamPipeline() = default;
};

}  // namespace anomstream::daemon
