#include "anomstream/triage/bootstrap_report.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace anomstream::triage {

namespace {

// Type-7 quantile of `values` (reordered in place): linear between order statistics
// floor(h) and floor(h) + 1, h = (n - 1) q.
double quantile(std::vector<double>& values, double q) noexcept {
  const double h = static_cast<double>(values.size() - 1) * q;
  const auto k = static_cast<std::size_t>(std::floor(h));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  const double low = values[k];
  if (k + 1 >= values.size()) return low;
  const double high = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(k) + 1, values.end());
  return low + (h - static_cast<double>(k)) * (high - low);
}

}  // namespace

Result<BootstrapReport> BootstrapReport::create(const BootstrapReportConfig& config) {
  if (auto ok = require_in_range<std::size_t>(config.resamples, 10, MAX_RESAMPLES, "resamples"); !ok) {
    return std::unexpected(ok.error());
  }
  if (!(config.confidence > 0.0 && config.confidence < 1.0)) {
    return fail(ErrorCode::invalid_config, "confidence",
                "must be in (0, 1) (got " + format_number(config.confidence) + ")");
  }
  return BootstrapReport(config);
}

Result<BootstrapReport> BootstrapReport::restore(const BootstrapReportSnapshot& snapshot) {
  auto report = create(snapshot.config);
  if (!report) return report;
  if (snapshot.rng == Xoshiro256::State{}) return fail(ErrorCode::corrupt_snapshot, "rng", "not all zero");
  report->rng_.set_state(snapshot.rng);
  return report;
}

Result<BootstrapInterval> BootstrapReport::interval(std::span<const double> values) noexcept {
  if (values.empty()) return fail(ErrorCode::invalid_input, "values", "at least one");
  if (auto ok = require_finite(values, "values"); !ok) return std::unexpected(ok.error());
  double sum = 0.0;
  for (double v : values) {
    if (std::abs(v) > MAX_ABS_VALUE) return fail(ErrorCode::invalid_input, "values", "|value| <= 1e150");
    sum += v;
  }
  const std::size_t n = values.size();
  const auto count = static_cast<double>(n);
  for (double& mean : means_) {
    double resampled = 0.0;
    for (std::size_t i = 0; i < n; ++i) resampled += values[rng_.below(n)];
    mean = resampled / count;
  }
  const double alpha = 1.0 - config_.confidence;
  BootstrapInterval result{sum / count, 0.0, 0.0, config_.confidence, config_.resamples};
  result.lower = quantile(means_, alpha / 2.0);
  result.upper = quantile(means_, 1.0 - alpha / 2.0);
  return result;
}

}  // namespace anomstream::triage
