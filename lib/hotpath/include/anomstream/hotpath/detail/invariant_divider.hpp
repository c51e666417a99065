#pragma once
// Division of a u64 by a divisor fixed at construction, by one 64x64->128 multiply and a
// shift instead of a hardware divide (Granlund & Montgomery, "Division by invariant
// integers using multiplication", PLDI 1994, Theorem 4.2 with N = 63).
//
// With l = ceil(log2 d) and m = ceil(2^(63+l) / d) < 2^64, floor(n / d) equals
// floor(n * m / 2^(63+l)) for every n < 2^63, since m*d - 2^(63+l) < d <= 2^l. Larger n
// (a clock more than 292 years past its epoch) fall back to the hardware divide. The
// rate cap uses it to turn `now_ns` into a window number in ~2 ns instead of ~15.

#include <bit>
#include <cstdint>

namespace anomstream::hotpath::detail {

class InvariantDivider {
 public:
  // divisor >= 1.
  constexpr explicit InvariantDivider(std::uint64_t divisor) noexcept
      : divisor_(divisor),
        shift_(63 + ceil_log2(divisor)),
        multiplier_(magic(divisor, ceil_log2(divisor))) {}

  [[nodiscard]] constexpr std::uint64_t divide(std::uint64_t n) const noexcept {
    if (n >> 63 != 0) [[unlikely]] {
      return n / divisor_;
    }
    return static_cast<std::uint64_t>((static_cast<Wide>(n) * multiplier_) >> shift_);
  }

  [[nodiscard]] constexpr std::uint64_t divisor() const noexcept { return divisor_; }

 private:
  __extension__ using Wide = unsigned __int128;

  static constexpr unsigned ceil_log2(std::uint64_t d) noexcept {
    return d <= 1 ? 0U : static_cast<unsigned>(std::bit_width(d - 1));
  }
  // ceil(2^(63+l) / d), which is below 2^64 because d > 2^(l-1).
  static constexpr std::uint64_t magic(std::uint64_t d, unsigned l) noexcept {
    const Wide numerator = static_cast<Wide>(1) << (63 + l);
    return static_cast<std::uint64_t>((numerator + d - 1) / d);
  }

  std::uint64_t divisor_;
  unsigned shift_;
  std::uint64_t multiplier_;
};

}  // namespace anomstream::hotpath::detail
