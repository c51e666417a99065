#pragma once

#include <array>
#include <cmath>

#include "anomstream/core/error.hpp"
#include "anomstream/stats/severity.hpp"

namespace anomstream::stats {

// Inclusive lower bounds of the four alerting levels: a score >= `high` and < `critical`
// is Severity::high; below `low` it is Severity::none. Finite and strictly increasing.
// The defaults suit a calibrated probability in [0, 1].
struct SeverityBandsConfig {
  double low = 0.5;
  double medium = 0.8;
  double high = 0.95;
  double critical = 0.99;
  friend bool operator==(const SeverityBandsConfig&, const SeverityBandsConfig&) = default;
};

// The whole state is the configuration.
struct SeverityBandsSnapshot {
  SeverityBandsConfig config;
  friend bool operator==(const SeverityBandsSnapshot&, const SeverityBandsSnapshot&) = default;
};

// Maps a score (a calibrated probability, a forest score, a z) to an ordinal Severity
// through four configured thresholds, so alert sinks and operators work with "high" and
// "critical" rather than raw scores, and a retuned threshold is a config change. Not
// from a paper: a validated step function. Memory: 32 bytes; time: O(1) (four
// comparisons, no branches on the score), no allocation. Failure modes: `create`
// rejects a non-finite threshold or one not strictly above the previous, naming it
// (ErrorCode::invalid_config); `classify` rejects a non-finite score
// (ErrorCode::non_finite).
class SeverityBands {
 public:
  [[nodiscard]] static Result<SeverityBands> create(const SeverityBandsConfig& config = {});

  [[nodiscard]] Result<Severity> classify(double score) const noexcept {
    if (!std::isfinite(score)) [[unlikely]] {
      return fail(ErrorCode::non_finite, "score", "must be finite");
    }
    const int level = static_cast<int>(score >= thresholds_[0]) +
                      static_cast<int>(score >= thresholds_[1]) +
                      static_cast<int>(score >= thresholds_[2]) +
                      static_cast<int>(score >= thresholds_[3]);
    return static_cast<Severity>(level);
  }

  // The smallest score classified as `severity` (-inf for Severity::none).
  [[nodiscard]] double lower_bound(Severity severity) const noexcept;
  [[nodiscard]] SeverityBandsConfig config() const noexcept;

  [[nodiscard]] SeverityBandsSnapshot snapshot() const noexcept { return {config()}; }
  // Rejects (ErrorCode::corrupt_snapshot, field "config.<name>") what create would reject.
  [[nodiscard]] static Result<SeverityBands> restore(const SeverityBandsSnapshot& snapshot);

 private:
  explicit SeverityBands(const std::array<double, 4>& thresholds) noexcept
      : thresholds_(thresholds) {}

  std::array<double, 4> thresholds_;  // low, medium, high, critical
};

}  // namespace anomstream::stats
