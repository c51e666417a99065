#include <doctest/doctest.h>

#include <optional>

#include "anomstream/sketch/sketch_key.hpp"

using anomstream::SipKey;
namespace sk = anomstream::sketch;

TEST_CASE("key_from_seed is deterministic and distinct seeds give distinct keys") {
  CHECK(sk::key_from_seed(7) == sk::key_from_seed(7));
  CHECK(sk::key_from_seed(7) != sk::key_from_seed(8));
  const SipKey key = sk::key_from_seed(0);
  CHECK(key.k0 != key.k1);
  CHECK(key != SipKey{});
}

TEST_CASE("key_from_os draws fresh 128-bit keys") {
  auto a = sk::key_from_os();
  auto b = sk::key_from_os();
  REQUIRE(a);
  REQUIRE(b);
  // Two 128-bit draws collide with probability 2^-128.
  CHECK(*a != *b);
}

TEST_CASE("resolve_key keeps a configured key and draws one otherwise") {
  const SipKey fixed = sk::key_from_seed(3);
  auto kept = sk::resolve_key(fixed);
  REQUIRE(kept);
  CHECK(*kept == fixed);
  auto drawn = sk::resolve_key(std::nullopt);
  REQUIRE(drawn);
  CHECK(*drawn != fixed);
}
