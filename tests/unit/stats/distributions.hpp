#pragma once
// Seeded samplers the stats tests draw from (header-only; no test cases here).

#include <cmath>
#include <numbers>

#include "anomstream/core/random.hpp"

namespace anomstream::stats::test {

// Standard normal by Box-Muller; one uniform pair per call (the sine branch is dropped
// so the stream stays simple to reproduce).
inline double standard_normal(Xoshiro256& rng) {
  const double u1 = rng.uniform01();
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace anomstream::stats::test
