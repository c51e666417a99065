#include "anomstream/stats/per_feature_ewma.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace anomstream::stats {
namespace {

constexpr double MAX_FINITE = std::numeric_limits<double>::max();

Status validate(std::size_t dimension, const PerFeatureEwmaConfig& config) {
  if (auto ok = require_in_range<std::size_t>(dimension, 1, PerFeatureEwma<>::MAX_DIMENSION,
                                              "dimension");
      !ok) {
    return ok;
  }
  if (!(config.alpha > 0.0 && config.alpha <= 1.0)) {
    return fail(ErrorCode::invalid_config, "alpha",
                "must be in (0, 1] (got " + format_number(config.alpha) + ")");
  }
  if (!(config.z_threshold > 0.0 && std::isfinite(config.z_threshold))) {
    return fail(ErrorCode::invalid_config, "z_threshold",
                "must be finite and > 0 (got " + format_number(config.z_threshold) + ")");
  }
  if (auto ok = require_in_range<std::uint64_t>(config.warmup, 1, PerFeatureEwma<>::MAX_WARMUP,
                                                 "warmup");
      !ok) {
    return ok;
  }
  if (!(config.min_stddev > 0.0 && std::isfinite(config.min_stddev))) {
    return fail(ErrorCode::invalid_config, "min_stddev",
                "must be finite and > 0 (got " + format_number(config.min_stddev) + ")");
  }
  return {};
}

}  // namespace

std::string_view to_string(Direction direction) noexcept {
  return direction == Direction::up ? "up" : "down";
}

PerFeatureEwma<>::PerFeatureEwma(std::size_t dimension, const PerFeatureEwmaConfig& config)
    : config_(config),
      mean_(dimension, 0.0),
      variance_(dimension, 0.0),
      z_(dimension, 0.0),
      alerts_(dimension) {}

Result<PerFeatureEwma<>> PerFeatureEwma<>::create(std::size_t dimension,
                                                  const PerFeatureEwmaConfig& config) {
  if (auto ok = validate(dimension, config); !ok) {
    return std::unexpected(ok.error());
  }
  return PerFeatureEwma(dimension, config);
}

Result<std::span<const EwmaAlert>> PerFeatureEwma<>::observe(std::span<const double> x) noexcept {
  const std::size_t d = dimension();
  if (x.size() != d) [[unlikely]] {
    return std::unexpected(require_dimension(x.size(), d, "x").error());
  }
  for (const double v : x) {
    if (!std::isfinite(v)) [[unlikely]] {
      return std::unexpected(require_finite(x, "x").error());
    }
  }
  alert_count_ = 0;
  if (count_ == 0) {
    std::copy(x.begin(), x.end(), mean_.begin());
    std::fill(z_.begin(), z_.end(), 0.0);
    count_ = 1;
    return std::span<const EwmaAlert>();
  }
  const bool armed = count_ >= config_.warmup;
  const double alpha = config_.alpha;
  for (std::size_t i = 0; i < d; ++i) {
    const double mean = mean_[i];
    const double stddev = std::max(std::sqrt(variance_[i]), config_.min_stddev);
    const double diff = x[i] - mean;  // +/-inf only when |x| and |mean| are near the limit
    const double z = std::clamp(diff / stddev, -MAX_FINITE, MAX_FINITE);
    z_[i] = z;
    if (armed && std::abs(z) >= config_.z_threshold) {
      alerts_[alert_count_++] = EwmaAlert{static_cast<std::uint32_t>(i),
                                          z > 0.0 ? Direction::up : Direction::down, z, x[i],
                                          mean, stddev};
    }
    if (std::isfinite(diff)) [[likely]] {
      const double step = alpha * diff;
      mean_[i] = mean + step;
      variance_[i] = std::min((1.0 - alpha) * (variance_[i] + diff * step), MAX_FINITE);
    } else {
      mean_[i] = (1.0 - alpha) * mean + alpha * x[i];  // the convex form cannot overflow
      variance_[i] = MAX_FINITE;
    }
  }
  ++count_;
  return std::span<const EwmaAlert>(alerts_.data(), alert_count_);
}

void PerFeatureEwma<>::reset() noexcept {
  count_ = 0;
  std::fill(mean_.begin(), mean_.end(), 0.0);
  std::fill(variance_.begin(), variance_.end(), 0.0);
  std::fill(z_.begin(), z_.end(), 0.0);
  alert_count_ = 0;
}

PerFeatureEwmaSnapshot PerFeatureEwma<>::snapshot() const {
  return PerFeatureEwmaSnapshot{config_, count_, mean_, variance_};
}

Result<PerFeatureEwma<>> PerFeatureEwma<>::restore(const PerFeatureEwmaSnapshot& snap) {
  const auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  const std::size_t d = snap.mean.size();
  if (auto ok = validate(d, snap.config); !ok) {
    const auto& field = ok.error().field;
    return corrupt(field == "dimension" ? std::string("mean") : "config." + field, ok.error().bound);
  }
  if (snap.variance.size() != d) return corrupt("variance", "length must equal mean's");
  for (std::size_t i = 0; i < d; ++i) {
    const auto at = [&](const char* name) { return std::string(name) + "[" + std::to_string(i) + "]"; };
    if (!std::isfinite(snap.mean[i])) return corrupt(at("mean"), "must be finite");
    if (!(snap.variance[i] >= 0.0 && snap.variance[i] <= MAX_FINITE)) {
      return corrupt(at("variance"), "must be finite and >= 0");
    }
    if (snap.count == 0 && (snap.mean[i] != 0.0 || snap.variance[i] != 0.0)) {
      return corrupt(at("mean"), "an empty state has mean 0 and variance 0");
    }
    if (snap.count == 1 && snap.variance[i] != 0.0) {
      return corrupt(at("variance"), "is 0 after a single observation");
    }
  }
  PerFeatureEwma ewma(d, snap.config);
  ewma.count_ = snap.count;
  ewma.mean_ = snap.mean;
  ewma.variance_ = snap.variance;
  return ewma;
}

}  // namespace anomstream::stats
