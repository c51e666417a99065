#include "anomstream/stats/severity_bands.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace anomstream::stats {
namespace {

constexpr std::array<const char*, 4> NAMES = {"low", "medium", "high", "critical"};

Status validate(const std::array<double, 4>& thresholds) {
  for (std::size_t i = 0; i < thresholds.size(); ++i) {
    if (!std::isfinite(thresholds[i])) {
      return fail(ErrorCode::invalid_config, NAMES[i],
                  "must be finite (got " + format_number(thresholds[i]) + ")");
    }
    if (i > 0 && !(thresholds[i] > thresholds[i - 1])) {
      return fail(ErrorCode::invalid_config, NAMES[i],
                  std::string("must be > ") + NAMES[i - 1] + " (" +
                      format_number(thresholds[i - 1]) + ") (got " +
                      format_number(thresholds[i]) + ")");
    }
  }
  return {};
}

std::array<double, 4> to_array(const SeverityBandsConfig& c) {
  return {c.low, c.medium, c.high, c.critical};
}

}  // namespace

Result<SeverityBands> SeverityBands::create(const SeverityBandsConfig& config) {
  const auto thresholds = to_array(config);
  if (auto ok = validate(thresholds); !ok) {
    return std::unexpected(ok.error());
  }
  return SeverityBands(thresholds);
}

double SeverityBands::lower_bound(Severity severity) const noexcept {
  const auto level = static_cast<std::size_t>(severity);
  if (level == 0 || level > thresholds_.size()) {
    return -std::numeric_limits<double>::infinity();
  }
  return thresholds_[level - 1];
}

SeverityBandsConfig SeverityBands::config() const noexcept {
  return {thresholds_[0], thresholds_[1], thresholds_[2], thresholds_[3]};
}

Result<SeverityBands> SeverityBands::restore(const SeverityBandsSnapshot& snapshot) {
  const auto thresholds = to_array(snapshot.config);
  if (auto ok = validate(thresholds); !ok) {
    return fail(ErrorCode::corrupt_snapshot, "config." + ok.error().field, ok.error().bound);
  }
  return SeverityBands(thresholds);
}

}  // namespace anomstream::stats
