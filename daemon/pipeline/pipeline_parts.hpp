#pragma once
// What the stream pipelines share: the stream's seed, the threshold and severity
// configuration read from the settings, the alert envelope, the attributed features,
// and the ScoreGate that turns a subsequence detector's raw scores into grades, alerts
// and regime changes as ThresholdedForest does for the forest's.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/drift/meta_drift_detector.hpp"
#include "anomstream/forest/adaptive_threshold.hpp"
#include "anomstream/forest/di_vector.hpp"
#include "anomstream/stats/severity_bands.hpp"
#include "anomstream/v1/alert.pb.h"
#include "ingest/work_item.hpp"
#include "persist/snapshot_codec.hpp"
#include "pipeline/stream_pipeline.hpp"

namespace anomstream::daemon::pipeline_parts {

// The stream's seed: the library's tenant_seed (SipHash-2-4 under the configured seed)
// of tenant, NUL, stream, so two streams draw unrelated random choices while a restart,
// or another machine with the same configuration, rebuilds the same model. Not a
// secret, and not meant to be: the seed is in the configuration (and snapshots), and
// reproducing a stream's model from it is the point.
std::uint64_t stream_seed(std::uint64_t seed, const std::string& tenant, const std::string& stream);

forest::AdaptiveThresholdConfig threshold_config(const PipelineSettings& settings);
Result<stats::SeverityBands> severity_bands(const PipelineSettings& settings);
v1::Severity to_wire(stats::Severity severity);

// The detector's regime change as the outcome reports it.
RegimeChange regime_change(const drift::RegimeChange& change);

// The alert envelope of `item` (tenant, stream, times) with its score and grading.
v1::Alert make_alert(const WorkItem& item, DetectorKind detector, double score, double grade, double threshold,
                     stats::Severity severity);

// Adds the `top` features with the largest high + low shares of `attribution`, largest
// first, with their direction, observed value and (when `expected` holds one per
// feature) expected value. `order` is scratch of the stream's dimension.
void add_top_features(v1::Alert& alert, const forest::DiVector& attribution, std::span<const double> values,
                      std::span<const double> expected, std::size_t top, std::vector<std::size_t>& order);

// The echo rule of the window detectors (kmeans, left_mp): an observation above the
// threshold is an echo when the row of the stream's last alert (at `last_alert`, 0:
// none) is still in the window ending at `position` (fewer than `window` rows ago) and
// the window differs most at that row or before it: top_lag(), asked only then, is the
// lag (0 = newest) of its largest part.
template <class TopLag>
bool is_window_echo(std::uint64_t last_alert, std::uint64_t position, std::size_t window, TopLag&& top_lag) {
  if (last_alert == 0) return false;
  const std::uint64_t since = position - last_alert;
  if (since >= window) return false;
  const std::optional<std::size_t> lag = top_lag();
  return lag && *lag >= since;
}

// The adaptive threshold, severity bands and meta-drift detector over one stream's raw
// scores. judge() grades a score against the statistics so far, then folds it in
// (winsorised, as AdaptiveThreshold does), and feeds it to the meta-drift detector.
class ScoreGate {
 public:
  struct Verdict {
    double threshold = 0;
    double grade = 0;
    stats::Severity severity = stats::Severity::none;  // none: no alert
    std::optional<RegimeChange> regime_change;
  };

  static Result<ScoreGate> create(const PipelineSettings& settings);
  static Result<ScoreGate> restore(const PipelineSettings& settings, const ScoreGateSnapshot& snapshot);

  // `ready`: the detector gives real scores (before that nothing is graded or learned).
  Result<Verdict> judge(double score, bool ready) noexcept;
  // Applies the threshold and severity settings a reload may change.
  Status retune(const PipelineSettings& settings);
  [[nodiscard]] ScoreGateSnapshot snapshot() const;

 private:
  ScoreGate(forest::AdaptiveThreshold threshold, stats::SeverityBands bands, drift::MetaDriftDetector drift)
      : threshold_(threshold), bands_(std::move(bands)), drift_(std::move(drift)) {}
  forest::AdaptiveThreshold threshold_;
  stats::SeverityBands bands_;
  drift::MetaDriftDetector drift_;
};

}  // namespace anomstream::daemon::pipeline_parts
