#pragma once
// Uniform draws on the open interval (0, 1): ln(-ln u) and ln(u) stay finite.

#include "anomstream/core/random.hpp"

namespace anomstream::forest::detail {

[[nodiscard]] inline double uniform_open(Xoshiro256& rng) noexcept {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

}  // namespace anomstream::forest::detail

namespace anomstream::forest::detail {

// Uniform on [0, 1) with 53 bits (the engine's own).
[[nodiscard]] inline double uniform01(Xoshiro256& rng) noexcept { return rng.uniform01(); }

}  // namespace anomstream::forest::detail
