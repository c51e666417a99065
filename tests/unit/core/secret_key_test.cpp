#include <doctest/doctest.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "anomstream/core/secret_key.hpp"

using anomstream::EntropySource;
using anomstream::ErrorCode;
using anomstream::SipKey;

namespace {

// A stand-in for the kernel: answers each call with the next of `replies` (a byte count
// to deliver, or -errno), delivering the bytes 1, 2, 3, ... in order.
struct ScriptedSource {
  std::vector<std::ptrdiff_t> replies;
  std::size_t calls = 0;
  unsigned char next_byte = 1;

  EntropySource source() {
    return [this](std::span<std::byte> buffer) -> std::ptrdiff_t {
      const std::ptrdiff_t reply = replies.at(calls++);
      for (std::ptrdiff_t i = 0; i < reply; ++i) buffer[static_cast<std::size_t>(i)] = std::byte{next_byte++};
      return reply;
    };
  }
};

SipKey key_of_bytes_1_to_16() {
  unsigned char bytes[16];
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<unsigned char>(i + 1);
  SipKey key;
  std::memcpy(&key.k0, bytes, 8);
  std::memcpy(&key.k1, bytes + 8, 8);
  return key;
}

}  // namespace

TEST_CASE("draw_secret_key returns a fresh 128-bit key from the kernel on each call") {
  auto a = anomstream::draw_secret_key();
  auto b = anomstream::draw_secret_key();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  // Two independent 128-bit draws collide, or equal zero, with probability 2^-128.
  CHECK(*a != *b);
  CHECK(*a != SipKey{});
}

TEST_CASE("the drawer retries EINTR and assembles short reads") {
  ScriptedSource kernel{.replies = {-EINTR, 3, -EINTR, 5, 8}};
  auto key = anomstream::draw_secret_key_from(kernel.source());
  REQUIRE(key.has_value());
  CHECK(kernel.calls == 5);
  CHECK(*key == key_of_bytes_1_to_16());
}

TEST_CASE("a refused draw is an io_error naming the cause, never a fixed key") {
  for (int errnum : {ENOSYS, EPERM, EFAULT}) {
    ScriptedSource kernel{.replies = {-errnum}};
    auto key = anomstream::draw_secret_key_from(kernel.source());
    REQUIRE_FALSE(key.has_value());
    CHECK(key.error().code == ErrorCode::io_error);
    CHECK(key.error().field == "secret_key");
    CHECK(key.error().bound.find(std::strerror(errnum)) != std::string::npos);
  }
  // Failing after part of the key was read does not return the part either.
  ScriptedSource partial{.replies = {8, -EIO}};
  auto key = anomstream::draw_secret_key_from(partial.source());
  REQUIRE_FALSE(key.has_value());
  CHECK(key.error().message() ==
        "io_error: secret_key: 16 bytes from getrandom(2), which failed: " + std::string(std::strerror(EIO)));
}

TEST_CASE("a source that returns no bytes, or more than asked, fails instead of looping") {
  ScriptedSource empty{.replies = {0}};
  auto none = anomstream::draw_secret_key_from(empty.source());
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == ErrorCode::io_error);
  CHECK(empty.calls == 1);

  const EntropySource liar = [](std::span<std::byte> buffer) {
    return static_cast<std::ptrdiff_t>(buffer.size() + 1);
  };
  auto too_many = anomstream::draw_secret_key_from(liar);
  REQUIRE_FALSE(too_many.has_value());
  CHECK(too_many.error().code == ErrorCode::io_error);
}

TEST_CASE("resolve_key keeps a configured key and draws a fresh one otherwise") {
  const SipKey fixed = anomstream::key_from_seed(3);
  auto kept = anomstream::resolve_key(fixed);
  REQUIRE(kept.has_value());
  CHECK(*kept == fixed);
  auto drawn_1 = anomstream::resolve_key(std::nullopt);
  auto drawn_2 = anomstream::resolve_key(std::nullopt);
  REQUIRE((drawn_1 && drawn_2));
  CHECK(*drawn_1 != fixed);
  CHECK(*drawn_1 != *drawn_2);
}

TEST_CASE("key_from_seed is deterministic and distinct seeds give distinct keys") {
  CHECK(anomstream::key_from_seed(7) == anomstream::key_from_seed(7));
  CHECK(anomstream::key_from_seed(7) != anomstream::key_from_seed(8));
  const SipKey key = anomstream::key_from_seed(0);
  CHECK(key.k0 != key.k1);
  CHECK(key != SipKey{});
}
