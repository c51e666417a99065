#pragma once
// One stream's detector pipeline, owned by one worker thread:
//   Normalizer -> ThresholdedForest -> SeverityBands -> MetaDriftDetector
// process() scores every observation (score, then update if the sampler allowed it) and
// returns an alert when the forest's adaptive threshold flags it, carrying the forest's
// attribution (top features with their share and direction) and the severity band of
// its anomaly grade. The meta-drift detector watches the score stream for regime changes,
// which the outcome reports (the worker logs them, rate-limited).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/v1/alert.pb.h"
#include "ingest/work_item.hpp"

namespace anomstream::daemon {

struct PipelineSettings {
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
};

class StreamPipeline {
 public:
  static Result<std::unique_ptr<StreamPipeline>> create(const PipelineSettings& settings,
                                                        const std::string& tenant,
                                                        const std::string& stream, std::size_t dimension);
  virtual ~StreamPipeline() = default;

  // Error only for a dimension other than the stream's.
  virtual Result<PipelineOutcome> process(const WorkItem& item) = 0;
  [[nodiscard]] virtual std::size_t memory_bytes() const = 0;

 protected:
  StreamPipeline() = default;
};

}  // namespace anomstream::daemon
