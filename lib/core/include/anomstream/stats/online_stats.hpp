#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include "anomstream/core/error.hpp"
#include "anomstream/stats/detail/welford.hpp"

namespace anomstream::stats {

// Plain state of an OnlineStats. An empty accumulator has count 0, mean 0, m2 0,
// min +inf, max -inf and shift 0 (the identities of the merge).
struct OnlineStatsSnapshot {
  std::uint64_t count = 0;
  double mean = 0.0;  // mean of (value - shift)
  double m2 = 0.0;    // sum of squared deviations from the mean
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double shift = 0.0;  // the first value seen
  friend bool operator==(const OnlineStatsSnapshot&, const OnlineStatsSnapshot&) = default;
};

// Running count, mean, variance, min and max of a scalar stream. Welford's (1962)
// one-pass update over the values shifted by the first one (the "shifted data"
// algorithm): the moments of a stream far from zero are accumulated near zero, so 1e9 +
// N(0,1) over 1e7 values agrees with the two-pass variance to ~1e-12 relative, and a
// constant stream has its exact mean and variance 0. `merge` combines two accumulators
// as if one had seen both streams (Chan, Golub & LeVeque 1979), so partial results from
// shards or windows can be pooled. Memory: 48 bytes, constant. Time: O(1) and no
// allocation per update (about 4.8 ns per single update, 2.6 ns per value in a batch).
// Failure modes: a non-finite value is rejected with ErrorCode::non_finite and leaves
// the state unchanged; a count beyond 2^53 loses the exactness of the 1/count weights.
class OnlineStats {
 public:
  OnlineStats() noexcept = default;

  // Adds one observation. Non-finite input is an error and is not counted.
  [[nodiscard]] Status update(double value) noexcept {
    if (!std::isfinite(value)) [[unlikely]] {
      return non_finite_value();
    }
    shift_ = count_ == 0 ? value : shift_;  // a select, not a branch
    ++count_;
    detail::welford_add_weighted(count_, mean_, m2_, value - shift_);
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    return {};
  }

  // Adds a batch: all values are checked first, and a non-finite one rejects the whole
  // batch (the error names its index) with the state unchanged. Same result as adding
  // the values one by one, and faster: no error path inside the loop, so the moments
  // stay in registers.
  [[nodiscard]] Status update(std::span<const double> values) noexcept;

  // Pools `other` into this accumulator (Chan et al.); the result equals one that saw
  // both streams, up to rounding.
  void merge(const OnlineStats& other) noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  // 0 when empty.
  [[nodiscard]] double mean() const noexcept { return shift_ + mean_; }
  // Population variance M2 / n; 0 when fewer than two observations.
  [[nodiscard]] double variance() const noexcept {
    return count_ < 2 ? 0.0 : m2_ / static_cast<double>(count_);
  }
  // Unbiased sample variance M2 / (n - 1); 0 when fewer than two observations.
  [[nodiscard]] double sample_variance() const noexcept {
    return count_ < 2 ? 0.0 : m2_ / static_cast<double>(count_ - 1);
  }
  [[nodiscard]] double stddev() const noexcept { return std::sqrt(variance()); }
  // +inf / -inf when empty.
  [[nodiscard]] double min() const noexcept { return min_; }
  [[nodiscard]] double max() const noexcept { return max_; }

  void reset() noexcept { *this = OnlineStats{}; }

  [[nodiscard]] OnlineStatsSnapshot snapshot() const noexcept;
  // Rejects (ErrorCode::corrupt_snapshot) non-finite moments or shift, m2 < 0,
  // min > max, and an empty snapshot whose fields are not the empty identities.
  [[nodiscard]] static Result<OnlineStats> restore(const OnlineStatsSnapshot& snapshot);

 private:
  [[gnu::cold]] static std::unexpected<Error> non_finite_value();

  std::uint64_t count_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  double shift_ = 0.0;  // first value; mean_ and m2_ are moments of value - shift_
};

}  // namespace anomstream::stats
