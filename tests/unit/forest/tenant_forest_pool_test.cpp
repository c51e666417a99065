#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "anomstream/forest/tenant_forest_pool.hpp"

using anomstream::ErrorCode;
using anomstream::Result;
using anomstream::forest::ForestConfig;
using anomstream::forest::RandomCutForest;
using anomstream::forest::TenantForestPool;
using anomstream::forest::TenantForestPoolConfig;
using anomstream::forest::ThresholdedForest;
using anomstream::forest::ThresholdedForestConfig;

namespace {

// A stand-in value whose memory the test controls.
struct Sized {
  std::string key;
  std::size_t bytes = 1000;
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return bytes; }
};

using SizedPool = TenantForestPool<Sized>;

SizedPool::Factory sized_factory() {
  return [](std::string_view key, std::size_t) -> Result<Sized> { return Sized{std::string(key)}; };
}

// Keys from least to most recently used.
template <class Pool>
std::vector<std::string> lru_order(const Pool& pool) {
  std::vector<std::string> keys;
  pool.for_each([&](std::string_view key, std::size_t, const auto&) { keys.emplace_back(key); });
  return keys;
}

ForestConfig small_forest(std::uint64_t seed) {
  ForestConfig c;
  c.num_trees = 50;
  c.sample_size = 32;
  c.seed = seed;
  c.output_after = 9;
  return c;
}

}  // namespace

TEST_CASE("tenant pool: least recently used entries are evicted first, in exact order") {
  std::vector<std::string> evicted;
  auto pool = SizedPool::create({.max_forests = 3}, sized_factory(),
                                [&](std::string_view key, const Sized& value) {
                                  CHECK(value.key == key);  // the callback sees the evicted value
                                  evicted.emplace_back(key);
                                });
  REQUIRE(pool);
  for (const char* key : {"a", "b", "c"}) REQUIRE(pool->get_or_create(key, 1));
  CHECK(lru_order(*pool) == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(pool->get_or_create("a", 1));  // a hit makes "a" the most recent
  CHECK(lru_order(*pool) == std::vector<std::string>{"b", "c", "a"});
  CHECK(pool->peek("b") != nullptr);  // peek does not count as use
  CHECK(lru_order(*pool) == std::vector<std::string>{"b", "c", "a"});
  REQUIRE(pool->get_or_create("d", 1));
  CHECK(evicted == std::vector<std::string>{"b"});
  CHECK(lru_order(*pool) == std::vector<std::string>{"c", "a", "d"});
  CHECK(pool->find("c") != nullptr);  // find does
  CHECK(pool->find("b") == nullptr);
  REQUIRE(pool->get_or_create("e", 1));
  REQUIRE(pool->get_or_create("f", 1));
  CHECK(evicted == std::vector<std::string>{"b", "a", "d"});
  CHECK(lru_order(*pool) == std::vector<std::string>{"c", "e", "f"});
  CHECK(pool->least_recent() == "c");
  CHECK(pool->evictions() == 3);
  CHECK(pool->size() == 3);
}

TEST_CASE("tenant pool: the memory bound holds after every call, also as values grow") {
  // Room for about four 1000-byte values besides the pool's own bytes.
  auto probe = SizedPool::create({}, sized_factory());
  REQUIRE(probe);
  REQUIRE(probe->get_or_create("probe", 1));
  const std::size_t one = probe->memory_bytes();
  const std::size_t max_bytes = one + 3 * (one - sizeof(SizedPool)) + 500;
  std::vector<std::string> evicted;
  auto pool =
      SizedPool::create({.max_forests = 100, .max_bytes = max_bytes}, sized_factory(),
                        [&](std::string_view key, const Sized&) { evicted.emplace_back(key); });
  REQUIRE(pool);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(pool->get_or_create("t" + std::to_string(i), 1));
    CHECK(pool->memory_bytes() <= max_bytes);
  }
  CHECK(pool->size() == 4);
  CHECK(evicted.size() == 6);
  // The value handed out grows by 2500 bytes; the next call measures it and makes room
  // by evicting the two least recently used entries.
  auto* grown = pool->get_or_create("t9", 1).value();
  grown->bytes += 2500;
  REQUIRE(pool->get_or_create("t8", 1));
  CHECK(pool->memory_bytes() <= max_bytes);
  CHECK(lru_order(*pool) == std::vector<std::string>{"t9", "t8"});
  // A value that alone exceeds the bound is refused and the pool is left as it was.
  auto huge = SizedPool::create({.max_forests = 100, .max_bytes = max_bytes},
                                [&](std::string_view key, std::size_t) -> Result<Sized> {
                                  return Sized{std::string(key), max_bytes};
                                });
  REQUIRE(huge);
  auto refused = huge->get_or_create("x", 1);
  REQUIRE(!refused);
  CHECK(refused.error().code == ErrorCode::invalid_config);
  CHECK(refused.error().field == "max_bytes");
  CHECK(huge->size() == 0);
}

TEST_CASE("tenant pool: a flood of 10k tenants of real forests stays within both bounds") {
  auto factory = anomstream::forest::make_forest_factory(small_forest(1));
  REQUIRE(factory);
  constexpr std::size_t MAX_BYTES = 8u << 20;
  std::size_t evicted = 0;
  auto pool = TenantForestPool<RandomCutForest>::create(
      {.max_forests = 500, .max_bytes = MAX_BYTES}, *factory,
      [&](std::string_view, const RandomCutForest&) { ++evicted; });
  REQUIRE(pool);
  std::vector<double> point(2);
  std::size_t max_size = 0, max_memory = 0;
  for (std::size_t i = 0; i < 10000; ++i) {
    auto forest = pool->get_or_create("tenant-" + std::to_string(i) + "/stream", 2);
    REQUIRE(forest);
    // Every tenant learns a few points, so the forests grow after they are handed out.
    for (int k = 0; k < 5; ++k) {
      point[0] = static_cast<double>(i % 7) + k;
      point[1] = static_cast<double>(k);
      REQUIRE((*forest)->update(point));
    }
    // A few tenants come back often, so the recent end keeps changing.
    if (i % 10 == 0) REQUIRE(pool->get_or_create("tenant-0/stream", 2));
    max_size = std::max(max_size, pool->size());
    max_memory = std::max(max_memory, pool->memory_bytes());
  }
  pool->refresh_memory();
  MESSAGE("size ", pool->size(), ", peak memory ", max_memory, " of ", MAX_BYTES, ", evictions ",
          pool->evictions());
  CHECK(max_memory <= MAX_BYTES);
  CHECK(max_size <= 500);
  CHECK(pool->memory_bytes() <= MAX_BYTES);
  CHECK(pool->evictions() == evicted);
  CHECK(pool->evictions() + pool->size() == 10000);
  CHECK(pool->contains("tenant-0/stream"));  // used every tenth call: never the LRU
}

TEST_CASE(
    "tenant pool: each tenant's seed derives from the template seed and its key, the "
    "same after a restart") {
  // Golden values from an independent SipHash-2-4 implementation (checked against the
  // reference test vector) keyed with (template seed, "anom-ten" as a little-endian word).
  CHECK(anomstream::forest::tenant_seed(42, "acme/cpu") == 0x9881db9c0fc8d813ULL);
  CHECK(anomstream::forest::tenant_seed(0, "") == 0x546aec62651d3582ULL);
  CHECK(anomstream::forest::tenant_seed(7, "tenant-with-a-longer-name/stream-0") ==
        0xcc0d2d4cb44493ddULL);

  ThresholdedForestConfig config;
  config.forest = small_forest(42);
  auto factory = anomstream::forest::make_thresholded_forest_factory(config);
  REQUIRE(factory);
  auto first = TenantForestPool<ThresholdedForest>::create({}, *factory);
  auto second = TenantForestPool<ThresholdedForest>::create({}, *factory);  // "after a restart"
  REQUIRE(first);
  REQUIRE(second);
  auto a = first->get_or_create("acme/cpu", 3);
  auto b = second->get_or_create("acme/cpu", 3);
  auto c = first->get_or_create("acme/mem", 3);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK((*a)->forest().config().seed == 0x9881db9c0fc8d813ULL);
  CHECK((*a)->forest().config().dimension == 3);
  CHECK((*c)->forest().config().seed != (*a)->forest().config().seed);
  for (int i = 0; i < 40; ++i) {
    const std::vector<double> p{1.0 * (i % 5), 2.0, -1.0 * (i % 3)};
    REQUIRE((*a)->process(p));
    REQUIRE((*b)->process(p));
  }
  CHECK((*a)->snapshot().forest == (*b)->snapshot().forest);
}

TEST_CASE("tenant pool: a failed lookup or creation leaves the pool unchanged") {
  auto factory = anomstream::forest::make_forest_factory(small_forest(2));
  REQUIRE(factory);
  int evictions = 0;
  auto pool = TenantForestPool<RandomCutForest>::create(
      {.max_forests = 2}, *factory, [&](std::string_view, const RandomCutForest&) { ++evictions; });
  REQUIRE(pool);
  REQUIRE(pool->get_or_create("a", 4));
  REQUIRE(pool->get_or_create("b", 4));
  auto wrong = pool->get_or_create("a", 5);
  REQUIRE(!wrong);
  CHECK(wrong.error().code == ErrorCode::dimension_mismatch);
  auto invalid = pool->get_or_create("c", 0);  // the factory's own error
  REQUIRE(!invalid);
  CHECK(invalid.error().field == "dimension");
  CHECK(lru_order(*pool) == std::vector<std::string>{"a", "b"});
  CHECK(evictions == 0);
}

TEST_CASE("tenant pool: erase removes without the eviction callback; insert rebuilds an order") {
  int callbacks = 0;
  auto pool = SizedPool::create({.max_forests = 4}, sized_factory(),
                                [&](std::string_view, const Sized&) { ++callbacks; });
  REQUIRE(pool);
  for (const char* key : {"a", "b", "c"}) REQUIRE(pool->get_or_create(key, 2));
  const std::size_t with_three = pool->memory_bytes();
  CHECK(pool->erase("b"));
  CHECK(!pool->erase("b"));
  CHECK(pool->size() == 2);
  CHECK(pool->memory_bytes() < with_three);
  CHECK(callbacks == 0);
  CHECK(pool->evictions() == 0);

  // Re-inserting in for_each order reproduces the order of use.
  auto copy = SizedPool::create({.max_forests = 4}, sized_factory());
  REQUIRE(copy);
  pool->for_each([&](std::string_view key, std::size_t dimension, const Sized& value) {
    REQUIRE(copy->insert(std::string(key), dimension, value));
  });
  CHECK(lru_order(*copy) == lru_order(*pool));
  CHECK(copy->get_or_create("a", 3).error().code == ErrorCode::dimension_mismatch);  // kept dims
  // Inserting an existing key replaces its value (no eviction) and makes it most recent.
  REQUIRE(copy->insert("a", 3, Sized{"replacement", 10}));
  CHECK(copy->size() == 2);
  CHECK(copy->peek("a")->key == "replacement");
  CHECK(lru_order(*copy) == std::vector<std::string>{"c", "a"});
  CHECK(copy->evictions() == 0);
  pool->clear();
  CHECK(pool->empty());
  CHECK(pool->memory_bytes() < with_three);
}

TEST_CASE("tenant pool: create and the factories name the field out of bounds") {
  CHECK(SizedPool::create({.max_forests = 0}, sized_factory()).error().field == "max_forests");
  CHECK(SizedPool::create({.max_bytes = 100}, sized_factory()).error().field == "max_bytes");
  CHECK(SizedPool::create({}, {}).error().field == "factory");
  auto bad = small_forest(3);
  bad.num_trees = 5;
  CHECK(anomstream::forest::make_forest_factory(bad).error().field == "num_trees");
  ThresholdedForestConfig thresholded;
  thresholded.forest = small_forest(3);
  thresholded.threshold.warmup = 0;
  CHECK(anomstream::forest::make_thresholded_forest_factory(thresholded).error().field ==
        "threshold.warmup");
}

TEST_CASE("tenant pool: without a configured hash key each pool draws a fresh secret one") {
  // Clients choose the keys the index hashes; under a known key (the old all-zero default)
  // they could pick names that all land in one bucket.
  auto a = SizedPool::create({}, sized_factory());
  auto b = SizedPool::create({}, sized_factory());
  REQUIRE((a && b));
  REQUIRE(a->config().hash_key.has_value());
  REQUIRE(b->config().hash_key.has_value());
  CHECK(*a->config().hash_key != *b->config().hash_key);
  CHECK(*a->config().hash_key != anomstream::SipKey{});
  // The pool works under the key it drew.
  REQUIRE(a->get_or_create("tenant-a", 1));
  REQUIRE(a->get_or_create("tenant-b", 1));
  CHECK(a->peek("tenant-a")->key == "tenant-a");
  CHECK(a->size() == 2);
}

TEST_CASE("tenant pool: a configured hash key is kept") {
  const anomstream::SipKey key = anomstream::key_from_seed(5);
  auto pool = SizedPool::create({.hash_key = key}, sized_factory());
  REQUIRE(pool);
  CHECK(pool->config().hash_key == key);
}
