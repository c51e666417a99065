#pragma once
// SipHash-1-3: SipHash with one compression round per block and three finalization
// rounds (the variant behind Rust's std HashMap), built on the SipHash-2-4 state in
// core/siphash.hpp.
//
// Used only by HyperLogLog, whose add budget (10 ns) SipHash-2-4 alone exceeds (about
// 11 ns for a u64 on the reference machine against about 8 ns for SipHash-1-3). The
// trade-off is a thinner security margin: SipHash-1-3 is still a keyed function with no
// known practical key recovery or collision attack, which is what hash-flooding
// resistance needs, but it has had less cryptanalysis headroom than 2-4. It is not used
// where a MAC is needed.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "anomstream/core/siphash.hpp"

namespace anomstream::sketch::detail {

[[nodiscard]] constexpr std::uint64_t siphash13(const SipKey& key,
                                                std::span<const std::byte> data) noexcept {
  anomstream::detail::SipState s(key);
  auto absorb = [&s](std::uint64_t m) {
    s.v3 ^= m;
    s.round();
    s.v0 ^= m;
  };
  const std::size_t n = data.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t m = 0;
    for (int b = 0; b < 8; ++b) {
      m |= static_cast<std::uint64_t>(data[i + static_cast<std::size_t>(b)]) << (8 * b);
    }
    absorb(m);
  }
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t b = 0; i + b < n; ++b) {
    last |= static_cast<std::uint64_t>(data[i + b]) << (8 * b);
  }
  absorb(last);
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

[[nodiscard]] inline std::uint64_t siphash13(const SipKey& key, std::string_view text) noexcept {
  return siphash13(key, std::as_bytes(std::span<const char>(text.data(), text.size())));
}

// SipHash-1-3 of the 8 little-endian bytes of `value`, without the byte loop.
[[nodiscard]] constexpr std::uint64_t siphash13_u64(const SipKey& key,
                                                    std::uint64_t value) noexcept {
  anomstream::detail::SipState s(key);
  s.v3 ^= value;
  s.round();
  s.v0 ^= value;
  const std::uint64_t length_block = static_cast<std::uint64_t>(8) << 56;
  s.v3 ^= length_block;
  s.round();
  s.v0 ^= length_block;
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace anomstream::sketch::detail
