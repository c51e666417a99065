#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "anomstream/core/siphash.hpp"

using anomstream::SipKey;

namespace {

// The reference key 00 01 .. 0f of the SipHash paper and test suites, as two
// little-endian words.
constexpr SipKey REFERENCE_KEY{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
constexpr SipKey ZERO_KEY{0, 0};

// The bytes 00 01 02 .. 3f; message n is the first n of them.
constexpr std::array<std::byte, 64> counting_bytes() {
  std::array<std::byte, 64> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>(i);
  return bytes;
}
constexpr std::array<std::byte, 64> BYTES = counting_bytes();

constexpr std::span<const std::byte> message(std::size_t n) { return std::span<const std::byte>(BYTES.data(), n); }

std::array<std::byte, 8> little_endian(std::uint64_t v) {
  std::array<std::byte, 8> bytes{};
  for (std::size_t b = 0; b < 8; ++b) bytes[b] = static_cast<std::byte>(v >> (8 * b));
  return bytes;
}

// SipHash-2-4 of message n (n = 0 .. 63) under REFERENCE_KEY: the 64 vectors of the
// reference implementation (vectors.h, `vectors_sip64`, listed there as the output's
// little-endian bytes), written as the 64-bit values they encode.
constexpr std::array<std::uint64_t, 64> SIPHASH24_VECTORS{
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
    0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
    0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
    0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL,
    0xa129ca6149be45e5ULL, 0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL,
    0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL,
    0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL,
    0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL,
    0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL, 0x7127512f72f27cceULL,
    0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL,
    0x9abfd8766a33735cULL, 0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL,
    0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL,
    0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL,
    0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL,
    0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL, 0xb78dbfaf3a8d83bdULL,
    0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL,
    0x958a324ceb064572ULL,
};

}  // namespace

TEST_CASE("siphash24 reproduces all 64 reference test vectors") {
  for (std::size_t n = 0; n < SIPHASH24_VECTORS.size(); ++n) {
    INFO("message length " << n);
    CHECK(anomstream::siphash24(REFERENCE_KEY, message(n)) == SIPHASH24_VECTORS[n]);
  }
}

TEST_CASE("siphash is usable at compile time") {
  static_assert(anomstream::siphash24(REFERENCE_KEY, message(0)) == 0x726fdb47dd0e0e31ULL);
  static_assert(anomstream::siphash24(REFERENCE_KEY, message(63)) == 0x958a324ceb064572ULL);
  static_assert(anomstream::siphash13_u64(REFERENCE_KEY, 0x0706050403020100ULL) == 0x369095118d299a8eULL);
  // The value computed by the compiler is the one the same call gives at run time.
  constexpr std::uint64_t at_compile_time = anomstream::siphash24(REFERENCE_KEY, message(17));
  CHECK(anomstream::siphash24(REFERENCE_KEY, message(17)) == at_compile_time);
  CHECK(at_compile_time == SIPHASH24_VECTORS[17]);
}

TEST_CASE("siphash13 reproduces published SipHash-1-3 vectors under the reference key") {
  // Vector n is SipHash-1-3 of message n under REFERENCE_KEY, as listed in Rust's libcore
  // test suite (test_siphash_1_3) as the output's little-endian bytes.
  struct Vector {
    std::size_t length;
    std::uint64_t hash;
  };
  constexpr std::array<Vector, 8> vectors{{
      {0, 0xabac0158050fc4dcULL},
      {1, 0xc9f49bf37d57ca93ULL},
      {7, 0xd3927d989bb11140ULL},
      {8, 0x369095118d299a8eULL},
      {9, 0x25a48eb36c063de4ULL},
      {14, 0x605aa111c0f95d34ULL},
      {15, 0xd320d86d2a519956ULL},
      {63, 0x9d199062b7bbb3a8ULL},
  }};
  for (const Vector& v : vectors) {
    INFO("message length " << v.length);
    CHECK(anomstream::siphash13(REFERENCE_KEY, message(v.length)) == v.hash);
  }
}

TEST_CASE("siphash13 reproduces the reference implementation's SipHash-1-3 vectors under the zero key") {
  // Reference SipHash-1-3 (cROUNDS = 1, dROUNDS = 3), 64-bit output, all-zero key.
  CHECK(anomstream::siphash13(ZERO_KEY, message(0)) == 0xd1fba762150c532cULL);
  CHECK(anomstream::siphash13(ZERO_KEY, message(1)) == 0x68a914128e01e473ULL);
  CHECK(anomstream::siphash13(ZERO_KEY, message(7)) == 0x2f098ab0c751325aULL);
  CHECK(anomstream::siphash13(ZERO_KEY, message(8)) == 0xead411e67ebe2eeaULL);
  CHECK(anomstream::siphash13(ZERO_KEY, message(15)) == 0xf30eb725bb91c9eaULL);
  CHECK(anomstream::siphash13(ZERO_KEY, message(16)) == 0x8972188433a5c5b7ULL);
}

TEST_CASE("the aliases are the template's <2, 4> and <1, 3> instances") {
  for (std::size_t n : {0U, 1U, 7U, 8U, 9U, 15U, 16U, 63U}) {
    INFO("message length " << n);
    CHECK(anomstream::siphash<2, 4>(REFERENCE_KEY, message(n)) == anomstream::siphash24(REFERENCE_KEY, message(n)));
    CHECK(anomstream::siphash<1, 3>(REFERENCE_KEY, message(n)) == anomstream::siphash13(REFERENCE_KEY, message(n)));
  }
  // Another round count is another function.
  CHECK(anomstream::siphash<2, 4>(REFERENCE_KEY, message(8)) != anomstream::siphash<1, 3>(REFERENCE_KEY, message(8)));
  CHECK(anomstream::siphash<2, 4>(REFERENCE_KEY, message(8)) != anomstream::siphash<4, 8>(REFERENCE_KEY, message(8)));
}

TEST_CASE("the u64 fast path equals the byte form over the value's 8 little-endian bytes") {
  for (std::uint64_t v : {0ULL, 1ULL, 0x0706050403020100ULL, 0xdeadbeefcafebabeULL, ~0ULL}) {
    const auto bytes = little_endian(v);
    CHECK(anomstream::siphash24_u64(REFERENCE_KEY, v) == anomstream::siphash24(REFERENCE_KEY, bytes));
    CHECK(anomstream::siphash13_u64(REFERENCE_KEY, v) == anomstream::siphash13(REFERENCE_KEY, bytes));
    CHECK(anomstream::siphash_u64<2, 4>(ZERO_KEY, v) == anomstream::siphash<2, 4>(ZERO_KEY, bytes));
  }
  // Bytes 00 .. 07 read little-endian: reference vector 8 of each variant.
  CHECK(anomstream::siphash24_u64(REFERENCE_KEY, 0x0706050403020100ULL) == SIPHASH24_VECTORS[8]);
  CHECK(anomstream::siphash13_u64(REFERENCE_KEY, 0x0706050403020100ULL) == 0x369095118d299a8eULL);
}

TEST_CASE("the text form hashes the string's bytes") {
  constexpr std::string_view text("tenant\0stream", 13);  // the NUL is part of the text
  const auto bytes = std::as_bytes(std::span<const char>(text.data(), text.size()));
  CHECK(anomstream::siphash24(REFERENCE_KEY, text) == anomstream::siphash24(REFERENCE_KEY, bytes));
  CHECK(anomstream::siphash13(REFERENCE_KEY, text) == anomstream::siphash13(REFERENCE_KEY, bytes));
}

TEST_CASE("the hash depends on both key words") {
  for (const auto& other : {SipKey{REFERENCE_KEY.k0 ^ 1, REFERENCE_KEY.k1}, SipKey{REFERENCE_KEY.k0, REFERENCE_KEY.k1 ^ 1}}) {
    CHECK(anomstream::siphash24(REFERENCE_KEY, "flow") != anomstream::siphash24(other, "flow"));
    CHECK(anomstream::siphash13_u64(REFERENCE_KEY, 42) != anomstream::siphash13_u64(other, 42));
  }
}
