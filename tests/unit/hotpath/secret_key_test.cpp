#include <doctest/doctest.h>

#include "anomstream/hotpath/secret_key.hpp"

TEST_CASE("draw_secret_key returns a fresh 128-bit key from the OS on each call") {
  auto a = anomstream::hotpath::draw_secret_key();
  auto b = anomstream::hotpath::draw_secret_key();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  // Two independent 128-bit draws collide with probability 2^-128.
  CHECK_FALSE(*a == *b);
  CHECK_FALSE(*a == anomstream::SipKey{});
}
