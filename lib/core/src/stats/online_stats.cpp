#include "anomstream/stats/online_stats.hpp"

namespace anomstream::stats {

std::unexpected<Error> OnlineStats::non_finite_value() {
  return fail(ErrorCode::non_finite, "value", "must be finite");
}

Status OnlineStats::update(std::span<const double> values) noexcept {
  if (auto ok = require_finite(values, "values"); !ok) {
    return ok;
  }
  if (values.empty()) {
    return {};
  }
  if (count_ == 0) {
    shift_ = values.front();
  }
  std::uint64_t count = count_;
  double mean = mean_;
  double m2 = m2_;
  double lo = min_;
  double hi = max_;
  const double shift = shift_;
  for (const double value : values) {
    ++count;
    detail::welford_add_weighted(count, mean, m2, value - shift);
    lo = std::min(lo, value);
    hi = std::max(hi, value);
  }
  count_ = count;
  mean_ = mean;
  m2_ = m2;
  min_ = lo;
  max_ = hi;
  return {};
}

void OnlineStats::merge(const OnlineStats& other) noexcept {
  if (other.count_ == 0) {
    return;
  }
  if (count_ == 0) {
    *this = other;
    return;
  }
  // Re-express the other's mean relative to this shift, then combine.
  const double other_mean = (other.shift_ - shift_) + other.mean_;
  detail::chan_combine(count_, mean_, m2_, other.count_, other_mean, other.m2_);
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

OnlineStatsSnapshot OnlineStats::snapshot() const noexcept {
  return OnlineStatsSnapshot{count_, mean_, m2_, min_, max_, shift_};
}

Result<OnlineStats> OnlineStats::restore(const OnlineStatsSnapshot& snapshot) {
  const auto corrupt = [](const char* field, const char* bound) {
    return fail(ErrorCode::corrupt_snapshot, field, bound);
  };
  if (snapshot.count == 0) {
    if (snapshot != OnlineStatsSnapshot{}) {
      return corrupt("count", "an empty snapshot must hold mean 0, m2 0, min +inf, max -inf, shift 0");
    }
    return OnlineStats{};
  }
  if (!std::isfinite(snapshot.mean)) return corrupt("mean", "must be finite");
  if (!std::isfinite(snapshot.shift)) return corrupt("shift", "must be finite");
  if (!std::isfinite(snapshot.m2) || snapshot.m2 < 0.0) return corrupt("m2", "must be finite and >= 0");
  if (!std::isfinite(snapshot.min)) return corrupt("min", "must be finite");
  if (!std::isfinite(snapshot.max)) return corrupt("max", "must be finite");
  if (snapshot.min > snapshot.max) return corrupt("min", "must be <= max");
  if (snapshot.count == 1 && (snapshot.m2 != 0.0 || snapshot.min != snapshot.max)) {
    return corrupt("m2", "a single observation has m2 0 and min == max");
  }
  OnlineStats stats;
  stats.count_ = snapshot.count;
  stats.mean_ = snapshot.mean;
  stats.m2_ = snapshot.m2;
  stats.min_ = snapshot.min;
  stats.max_ = snapshot.max;
  stats.shift_ = snapshot.shift;
  return stats;
}

}  // namespace anomstream::stats
