// Every sketch left without a configured key draws its own secret from the one drawer
// in core (secret_key.hpp): never a shared or constant key.

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "anomstream/core/secret_key.hpp"
#include "anomstream/sketch/bloom_filter.hpp"
#include "anomstream/sketch/count_min_sketch.hpp"
#include "anomstream/sketch/hyper_log_log.hpp"
#include "anomstream/sketch/space_saving.hpp"

using anomstream::SipKey;
namespace sk = anomstream::sketch;

namespace {

// Two sketches made by `make` have distinct, non-zero keys (equal with probability 2^-128).
template <class Make>
void check_fresh_keys(Make make) {
  auto a = make();
  auto b = make();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->key() != b->key());
  CHECK(a->key() != SipKey{});
}

}  // namespace

TEST_CASE("every sketch created without a key draws a fresh secret one") {
  check_fresh_keys([] { return sk::CountMinSketch::create({0.01, 0.01, false, std::nullopt}); });
  check_fresh_keys([] { return sk::BloomFilter::create({1000, 0.01, std::nullopt}); });
  check_fresh_keys([] { return sk::HyperLogLog::create({12, std::nullopt}); });
  check_fresh_keys([] { return sk::SpaceSaving<std::uint64_t>::create({16, 64, std::nullopt}); });
  check_fresh_keys([] { return sk::SpaceSaving<std::string>::create({16, 64, std::nullopt}); });
}

TEST_CASE("a configured key is kept, so sketches that will be merged can share one") {
  const SipKey shared = anomstream::key_from_seed(11);
  CHECK(sk::CountMinSketch::create({0.01, 0.01, false, shared})->key() == shared);
  CHECK(sk::BloomFilter::create({1000, 0.01, shared})->key() == shared);
  CHECK(sk::HyperLogLog::create({12, shared})->key() == shared);
  CHECK(sk::SpaceSaving<std::uint64_t>::create({16, 64, shared})->key() == shared);
}
