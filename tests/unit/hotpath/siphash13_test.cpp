#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <vector>

#include "anomstream/core/siphash.hpp"
#include "anomstream/hotpath/detail/siphash13.hpp"

using anomstream::SipKey;
namespace detail = anomstream::hotpath::detail;

namespace {
constexpr SipKey ZERO_KEY{0, 0};
constexpr SipKey REFERENCE_KEY{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

std::vector<std::byte> message(std::size_t n) {
  std::vector<std::byte> m(n);
  for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::byte>(i);
  return m;
}
}  // namespace

TEST_CASE("siphash13 reproduces the reference implementation's SipHash-1-3 vectors") {
  // Reference SipHash-1-3, 64-bit output, all-zero key, message 00 01 02 .. (n-1).
  CHECK(detail::siphash13(ZERO_KEY, message(0)) == 0xd1fba762150c532cULL);
  CHECK(detail::siphash13(ZERO_KEY, message(1)) == 0x68a914128e01e473ULL);
  CHECK(detail::siphash13(ZERO_KEY, message(7)) == 0x2f098ab0c751325aULL);
  CHECK(detail::siphash13(ZERO_KEY, message(8)) == 0xead411e67ebe2eeaULL);
  CHECK(detail::siphash13(ZERO_KEY, message(15)) == 0xf30eb725bb91c9eaULL);
  CHECK(detail::siphash13(ZERO_KEY, message(16)) == 0x8972188433a5c5b7ULL);
}

TEST_CASE("the round-parameterised template with <2, 4> equals core siphash24") {
  for (std::size_t n : {0U, 1U, 7U, 8U, 9U, 15U, 16U, 63U}) {
    CHECK(detail::siphash_cd<2, 4>(REFERENCE_KEY, message(n)) ==
          anomstream::siphash24(REFERENCE_KEY, message(n)));
  }
  CHECK(detail::siphash_cd_u64<2, 4>(REFERENCE_KEY, 0x1234) ==
        anomstream::siphash_u64(REFERENCE_KEY, 0x1234));
}

TEST_CASE("siphash13_u64 equals siphash13 over the value's little-endian bytes") {
  for (std::uint64_t v : {0ULL, 1ULL, 0xdeadbeefcafebabeULL, ~0ULL}) {
    std::array<std::byte, 8> bytes{};
    for (std::size_t b = 0; b < 8; ++b) bytes[b] = static_cast<std::byte>(v >> (8 * b));
    CHECK(detail::siphash13_u64(REFERENCE_KEY, v) == detail::siphash13(REFERENCE_KEY, bytes));
  }
}
