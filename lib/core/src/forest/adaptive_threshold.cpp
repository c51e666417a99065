#include "anomstream/forest/adaptive_threshold.hpp"

#include <algorithm>
#include <cmath>

namespace anomstream::forest {
namespace {

Status validate(const AdaptiveThresholdConfig& c) {
  if (auto s = require_in_range(c.z_factor, 0.5, 20.0, "z_factor"); !s) return s;
  if (!(c.upper_z_factor > c.z_factor && c.upper_z_factor <= 40.0)) {
    return fail(ErrorCode::invalid_config, "upper_z_factor",
                "must be in (z_factor, 40] (got " + format_number(c.upper_z_factor) + ")");
  }
  if (auto s = require_in_range(c.min_score, 0.0, 1e6, "min_score"); !s) return s;
  if (!(c.decay > 0 && c.decay <= 0.5)) {
    return fail(ErrorCode::invalid_config, "decay", "must be in (0, 0.5] (got " + format_number(c.decay) + ")");
  }
  return require_in_range<std::uint64_t>(c.warmup, 2, 1'000'000'000, "warmup");
}

}  // namespace

Result<AdaptiveThreshold> AdaptiveThreshold::create(const AdaptiveThresholdConfig& config) {
  if (auto s = validate(config); !s) return std::unexpected(s.error());
  return AdaptiveThreshold(config);
}

Result<AdaptiveThreshold> AdaptiveThreshold::restore(const AdaptiveThresholdSnapshot& s) {
  auto t = create(s.config);
  if (!t) return t;
  if (!std::isfinite(s.weight) || s.weight < 0 || !std::isfinite(s.mean) || !std::isfinite(s.m2) || s.m2 < 0 ||
      (s.count > 0 && s.weight <= 0)) {
    return fail(ErrorCode::corrupt_snapshot, "adaptive threshold", "weight, mean and m2 must be finite, m2 >= 0");
  }
  t->count_ = s.count;
  t->weight_ = s.weight;
  t->mean_ = s.mean;
  t->m2_ = s.m2;
  return t;
}

double AdaptiveThreshold::deviation() const noexcept {
  return weight_ > 0 ? std::sqrt(m2_ / weight_) : 0.0;
}

double AdaptiveThreshold::threshold() const noexcept {
  return std::max(config_.min_score, mean_ + config_.z_factor * deviation());
}

Result<Grading> AdaptiveThreshold::grade(double score) const noexcept {
  if (auto s = require_finite(score, "score"); !s) return std::unexpected(s.error());
  Grading g;
  g.threshold = threshold();
  if (!warm() || score <= g.threshold) return g;
  const double upper = std::max(config_.min_score, mean_ + config_.upper_z_factor * deviation());
  g.grade = upper > g.threshold ? std::clamp((score - g.threshold) / (upper - g.threshold), 0.0, 1.0) : 1.0;
  // A score above the threshold always carries a positive grade.
  g.grade = std::max(g.grade, 1e-6);
  return g;
}

Status AdaptiveThreshold::update(double score) noexcept {
  if (auto s = require_finite(score, "score"); !s) return s;
  const double x = warm() ? std::min(score, threshold()) : score;
  // West's weighted incremental mean and variance with exponentially decayed weights.
  const double keep = 1.0 - config_.decay;
  weight_ *= keep;
  m2_ *= keep;
  weight_ += 1.0;
  const double delta = x - mean_;
  mean_ += delta / weight_;
  m2_ += delta * (x - mean_);
  ++count_;
  return {};
}

AdaptiveThresholdSnapshot AdaptiveThreshold::snapshot() const {
  return {config_, count_, weight_, mean_, m2_};
}

Status AdaptiveThreshold::retune(const AdaptiveThresholdConfig& config) {
  if (auto valid = create(config); !valid) return std::unexpected(valid.error());
  AdaptiveThresholdSnapshot state = snapshot();
  state.config = config;
  auto retuned = restore(state);
  if (!retuned) return std::unexpected(retuned.error());
  *this = *retuned;
  return {};
}

}  // namespace anomstream::forest
