#pragma once
// SipHash-c-d (Aumasson & Bernstein, "SipHash: a fast short-input PRF", INDOCRYPT 2012):
// a keyed 64-bit PRF, and the one implementation every keyed hash in anomstream uses.
//
// Used wherever an attacker chooses the inputs being hashed (flow keys, prefixes, tenant
// and stream names, sketch items): under a secret 128-bit key (secret_key.hpp) they
// cannot predict which bucket, worker or sample decision an input lands in, so they
// cannot aim traffic at one counter or steer which flows train a model.
//
// Two instances:
//   - siphash24 (2 compression, 4 finalisation rounds): the paper's default, for the
//     sketches with a budget that allows it (CountMinSketch, BloomFilter, SpaceSaving),
//     the tenant index and shard hashes, and tenant_seed.
//   - siphash13 (1 and 3 rounds; the default keyed hash of Rust's and Python's hash
//     tables): for the paths whose 10 ns budget 2-4 does not fit with margin, the hot
//     path's sampler and rate cap and HyperLogLog. No practical key-recovery or
//     distinguishing attack on it is published, but its safety margin is smaller, so
//     nothing long-lived (audit chains, tokens) uses it: those use HMAC.
// The `_u64` forms hash the 8 little-endian bytes of an integer without the byte loop
// and equal the byte forms over those bytes.
//
// Time: c rounds per 8-byte block plus d + c rounds; for a u64, about 8-11 ns (2-4) and
// 5-8 ns (1-3) on the reference machine (docs/performance.md). No allocation, noexcept.
// Tested against the reference implementation's 64 SipHash-2-4 vectors and published
// SipHash-1-3 vectors (tests/unit/core/siphash_test.cpp).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace anomstream {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  friend bool operator==(const SipKey&, const SipKey&) = default;
};

namespace detail {

inline constexpr std::uint64_t sip_rotl(std::uint64_t x, int b) noexcept {
  return (x << b) | (x >> (64 - b));
}

template <int C, int D>
struct SipState {
  static_assert(C >= 1 && D >= 1, "SipHash needs at least one round of each kind");

  std::uint64_t v0, v1, v2, v3;

  constexpr explicit SipState(const SipKey& key) noexcept
      : v0(key.k0 ^ 0x736f6d6570736575ULL),
        v1(key.k1 ^ 0x646f72616e646f6dULL),
        v2(key.k0 ^ 0x6c7967656e657261ULL),
        v3(key.k1 ^ 0x7465646279746573ULL) {}
  constexpr void round() noexcept {
    v0 += v1; v1 = sip_rotl(v1, 13); v1 ^= v0; v0 = sip_rotl(v0, 32);
    v2 += v3; v3 = sip_rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = sip_rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = sip_rotl(v1, 17); v1 ^= v2; v2 = sip_rotl(v2, 32);
  }
  constexpr void absorb(std::uint64_t m) noexcept {
    v3 ^= m;
    rounds(std::make_index_sequence<C>{});
    v0 ^= m;
  }
  constexpr std::uint64_t finish() noexcept {
    v2 ^= 0xff;
    rounds(std::make_index_sequence<D>{});
    return v0 ^ v1 ^ v2 ^ v3;
  }

 private:
  // N rounds written out at compile time: GCC 12 at -O2 keeps `for (i < N) round()` as a
  // loop, which costs the u64 paths about a nanosecond.
  template <std::size_t... I>
  constexpr void rounds(std::index_sequence<I...>) noexcept {
    ((static_cast<void>(I), round()), ...);
  }
};

}  // namespace detail

// SipHash-C-D of a byte string.
template <int C, int D>
[[nodiscard]] constexpr std::uint64_t siphash(const SipKey& key,
                                              std::span<const std::byte> data) noexcept {
  detail::SipState<C, D> s(key);
  const std::size_t n = data.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t m = 0;
    for (int b = 0; b < 8; ++b) {
      m |= static_cast<std::uint64_t>(data[i + static_cast<std::size_t>(b)]) << (8 * b);
    }
    s.absorb(m);
  }
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t b = 0; i + b < n; ++b) {
    last |= static_cast<std::uint64_t>(data[i + b]) << (8 * b);
  }
  s.absorb(last);
  return s.finish();
}

template <int C, int D>
[[nodiscard]] inline std::uint64_t siphash(const SipKey& key, std::string_view text) noexcept {
  return siphash<C, D>(key, std::as_bytes(std::span<const char>(text.data(), text.size())));
}

// SipHash-C-D of the 8 little-endian bytes of `value`, without the byte loop.
template <int C, int D>
[[nodiscard]] constexpr std::uint64_t siphash_u64(const SipKey& key, std::uint64_t value) noexcept {
  detail::SipState<C, D> s(key);
  s.absorb(value);
  s.absorb(static_cast<std::uint64_t>(8) << 56);
  return s.finish();
}

[[nodiscard]] constexpr std::uint64_t siphash24(const SipKey& key,
                                                std::span<const std::byte> data) noexcept {
  return siphash<2, 4>(key, data);
}
[[nodiscard]] inline std::uint64_t siphash24(const SipKey& key, std::string_view text) noexcept {
  return siphash<2, 4>(key, text);
}
[[nodiscard]] constexpr std::uint64_t siphash24_u64(const SipKey& key, std::uint64_t value) noexcept {
  return siphash_u64<2, 4>(key, value);
}

[[nodiscard]] constexpr std::uint64_t siphash13(const SipKey& key,
                                                std::span<const std::byte> data) noexcept {
  return siphash<1, 3>(key, data);
}
[[nodiscard]] inline std::uint64_t siphash13(const SipKey& key, std::string_view text) noexcept {
  return siphash<1, 3>(key, text);
}
[[nodiscard]] constexpr std::uint64_t siphash13_u64(const SipKey& key, std::uint64_t value) noexcept {
  return siphash_u64<1, 3>(key, value);
}

// The hash of an unordered container whose keys are names a client chooses (tenants,
// streams): SipHash-1-3 under a secret key (draw_secret_key), so nobody can pick names
// that all fall into one bucket. Transparent: lookups by string_view need no copy.
struct KeyedStringHash {
  using is_transparent = void;
  SipKey key;
  [[nodiscard]] std::size_t operator()(std::string_view text) const noexcept { return siphash13(key, text); }
};

}  // namespace anomstream
