#pragma once
// Welford's one-pass update and Chan et al.'s pairwise combination of (count, mean, M2),
// shared by OnlineStats and Normalizer.

#include <cstdint>

namespace anomstream::stats::detail {

// Adds `value` to a running (mean, m2) whose count is already `count` (including this
// value): mean += (value - mean)/count. A constant stream keeps its mean exactly and m2 0.
// 1/count is formed off the mean's dependency chain, so an update costs one subtract,
// one multiply and one add of latency.
inline void welford_add(std::uint64_t count, double& mean, double& m2, double value) noexcept {
  // Via int64: a signed conversion is one instruction on x86-64, an unsigned one is not.
  const double inverse = 1.0 / static_cast<double>(static_cast<std::int64_t>(count));
  const double delta = value - mean;
  mean += delta * inverse;
  m2 += delta * (value - mean);
}

// The same update with the new mean formed as mean*(1 - 1/count) + value/count: both
// weights depend only on the count, so the mean's loop-carried dependency is one multiply
// and one add (6 cycles instead of 9). Unlike welford_add it does not keep a constant
// stream's mean exact unless the values are 0, so callers feed it values shifted by a
// reference (OnlineStats subtracts its first value).
inline void welford_add_weighted(std::uint64_t count, double& mean, double& m2,
                                 double value) noexcept {
  const double inverse = 1.0 / static_cast<double>(static_cast<std::int64_t>(count));
  const double keep = 1.0 - inverse;
  const double delta = value - mean;
  mean = mean * keep + value * inverse;
  m2 += delta * (value - mean);
}

// Chan, Golub & LeVeque (1979): combines (count_a, mean_a, m2_a) with (count_b, mean_b,
// m2_b) in place into the first triple.
inline void chan_combine(std::uint64_t& count_a, double& mean_a, double& m2_a,
                         std::uint64_t count_b, double mean_b, double m2_b) noexcept {
  if (count_b == 0) {
    return;
  }
  if (count_a == 0) {
    count_a = count_b;
    mean_a = mean_b;
    m2_a = m2_b;
    return;
  }
  const double na = static_cast<double>(count_a);
  const double nb = static_cast<double>(count_b);
  const double n = na + nb;
  const double delta = mean_b - mean_a;
  mean_a += delta * (nb / n);
  m2_a += m2_b + delta * delta * (na * nb / n);
  count_a += count_b;
}

}  // namespace anomstream::stats::detail
