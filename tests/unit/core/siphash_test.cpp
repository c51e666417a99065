#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <vector>

#include "anomstream/core/siphash.hpp"

using anomstream::SipKey;

namespace {
// The reference key 00 01 .. 0f from the SipHash paper, as two little-endian words.
constexpr SipKey REFERENCE_KEY{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

std::vector<std::byte> message(std::size_t n) {
  std::vector<std::byte> m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::byte>(i);
  return m;
}
}  // namespace

TEST_CASE("siphash24 reproduces the reference test vectors") {
  // Values from the reference implementation's vectors.h (SipHash-2-4, 64-bit output).
  CHECK(anomstream::siphash24(REFERENCE_KEY, message(0)) == 0x726fdb47dd0e0e31ULL);
  CHECK(anomstream::siphash24(REFERENCE_KEY, message(1)) == 0x74f839c593dc67fdULL);
  CHECK(anomstream::siphash24(REFERENCE_KEY, message(8)) == 0x93f5f5799a932462ULL);
  CHECK(anomstream::siphash24(REFERENCE_KEY, message(15)) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("siphash_u64 equals siphash24 over the value's little-endian bytes") {
  for (std::uint64_t v : {0ULL, 1ULL, 0xdeadbeefcafebabeULL, ~0ULL}) {
    std::array<std::byte, 8> bytes{};
    for (int b = 0; b < 8; ++b) bytes[static_cast<std::size_t>(b)] = static_cast<std::byte>(v >> (8 * b));
    CHECK(anomstream::siphash_u64(REFERENCE_KEY, v) == anomstream::siphash24(REFERENCE_KEY, bytes));
  }
}

TEST_CASE("a different key gives a different hash for the same input") {
  const SipKey other{REFERENCE_KEY.k0 ^ 1, REFERENCE_KEY.k1};
  CHECK(anomstream::siphash24(REFERENCE_KEY, "flow") != anomstream::siphash24(other, "flow"));
}
