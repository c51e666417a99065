#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "allocation_counter.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/sketch/space_saving.hpp"
#include "zipf.hpp"

using anomstream::ErrorCode;
using anomstream::sketch::FrequencyBounds;
using anomstream::key_from_seed;
using anomstream::sketch::SpaceSaving;
using anomstream::sketch::SpaceSavingConfig;

namespace {

template <class Item = std::uint64_t>
SpaceSaving<Item> make(std::size_t capacity, std::uint64_t seed = 1,
                       std::size_t max_item_bytes = 64) {
  auto sketch = SpaceSaving<Item>::create(
      SpaceSavingConfig{capacity, max_item_bytes, key_from_seed(seed)});
  REQUIRE(sketch);
  return *std::move(sketch);
}

// Checks every Metwally guarantee of `sketch` against the true counts of ranks.
void check_guarantees(const SpaceSaving<std::uint64_t>& sketch,
                      const std::vector<std::uint64_t>& truth, bool merged) {
  const std::uint64_t n = sketch.total();
  const std::uint64_t k = sketch.capacity();
  const std::uint64_t min_count = sketch.min_count();
  CHECK(min_count <= n / k);
  const auto counters = sketch.top(k);
  CHECK(counters.size() == std::min<std::size_t>(k, sketch.size()));
  std::uint64_t sum = 0;
  std::size_t outside_bounds = 0, error_above_min = 0;
  for (const auto& c : counters) {
    sum += c.count;
    outside_bounds += !(c.lower_bound() <= truth[c.item] && truth[c.item] <= c.count);
    error_above_min += c.error > min_count;
  }
  CHECK(outside_bounds == 0);
  CHECK(error_above_min == 0);
  if (merged) {
    CHECK(sum <= n);
  } else {
    CHECK(sum == n);
  }
  // Every item above min_count (<= N/K) is monitored, and reported by frequent(N/K).
  const auto frequent = sketch.frequent(n / k);
  std::size_t missed_monitored = 0, missed_frequent = 0, bounds_violated = 0;
  for (std::uint64_t rank = 0; rank < truth.size(); ++rank) {
    const FrequencyBounds b = sketch.bounds(rank);
    bounds_violated += !(b.lower <= truth[rank] && truth[rank] <= b.upper);
    if (truth[rank] > min_count && b.lower == 0 && b.upper == min_count) ++missed_monitored;
    if (truth[rank] > n / k &&
        std::none_of(frequent.begin(), frequent.end(),
                     [rank](const auto& c) { return c.item == rank; })) {
      ++missed_frequent;
    }
  }
  CHECK(bounds_violated == 0);
  CHECK(missed_monitored == 0);
  CHECK(missed_frequent == 0);
}

}  // namespace

TEST_CASE("space-saving rejects each out-of-range config field by name") {
  const auto check = [](auto result, std::string_view field) {
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::invalid_config);
    CHECK(result.error().field == field);
  };
  check(SpaceSaving<std::uint64_t>::create({0, 64, key_from_seed(1)}), "capacity");
  check(SpaceSaving<std::uint64_t>::create({(std::size_t{1} << 24) + 1, 64, key_from_seed(1)}),
        "capacity");
  check(SpaceSaving<std::string>::create({16, 0, key_from_seed(1)}), "max_item_bytes");
  check(SpaceSaving<std::string>::create({16, 4097, key_from_seed(1)}), "max_item_bytes");
  // 2^20 slots of 2 KiB would be 2 GiB of item storage.
  check(SpaceSaving<std::string>::create({std::size_t{1} << 20, 2048, key_from_seed(1)}),
        "max_item_bytes");
  CHECK(SpaceSaving<std::uint64_t>::create({0, 64, key_from_seed(1)}).error().message() ==
        "invalid_config: capacity: must be in [1, 16777216] (got 0)");
}

TEST_CASE("space-saving counts exactly while fewer than K distinct items arrive") {
  auto sketch = make(8);
  const std::map<std::uint64_t, std::uint64_t> truth{{3, 5}, {9, 1}, {27, 12}, {81, 2}};
  for (const auto& [item, count] : truth) {
    for (std::uint64_t i = 0; i < count; ++i) sketch.update(item);
  }
  CHECK(sketch.size() == 4);
  CHECK(sketch.min_count() == 0);
  for (const auto& [item, count] : truth) {
    CHECK(sketch.bounds(item) == FrequencyBounds{count, count});
  }
  CHECK(sketch.bounds(std::uint64_t{4}) == FrequencyBounds{0, 0});
  const auto top = sketch.top(2);
  REQUIRE(top.size() == 2);
  CHECK(top[0].item == 27);
  CHECK(top[0].count == 12);
  CHECK(top[1].item == 3);
  CHECK(top[1].error == 0);
}

TEST_CASE("a new item takes over the smallest counter and inherits its count as error") {
  // Metwally et al.: with K = 2 after a,a,b the minimum is b with 1; c replaces it with
  // count 1 + 1 = 2 and error 1, so c's frequency is known to lie in [1, 2].
  auto sketch = make(2);
  sketch.update(std::uint64_t{1});
  sketch.update(std::uint64_t{1});
  sketch.update(std::uint64_t{2});
  sketch.update(std::uint64_t{3});
  CHECK(sketch.bounds(std::uint64_t{3}) == FrequencyBounds{1, 2});
  CHECK(sketch.bounds(std::uint64_t{1}) == FrequencyBounds{2, 2});
  CHECK(sketch.bounds(std::uint64_t{2}) == FrequencyBounds{0, 2});  // evicted: <= min_count
  CHECK(sketch.min_count() == 2);
  sketch.update(std::uint64_t{4}, 5);  // weighted: replaces a count-2 counter
  CHECK(sketch.bounds(std::uint64_t{4}).upper == 7);
  CHECK(sketch.bounds(std::uint64_t{4}).lower == 5);
  CHECK(sketch.total() == 9);
}

TEST_CASE("space-saving reports every item above N/K of a Zipf stream within its error bound") {
  // 1e6 draws over 1e5 ranks; the guarantees hold for any stream, the Zipf exponents
  // and capacities vary how many items sit near the N/K line.
  for (const double s : {0.8, 1.1, 1.5}) {
    for (const std::size_t k : {std::size_t{50}, std::size_t{1000}}) {
      INFO("s=" << s << " K=" << k);
      const auto stream = anomstream::sketch::test::zipf_stream(1'000'000, 100'000, s,
                                                                static_cast<std::uint64_t>(s * 100) + k);
      auto sketch = make(k);
      for (const std::uint64_t item : stream.items) sketch.update(item);
      check_guarantees(sketch, stream.counts, false);
      if (s == 1.1 && k == 50) {
        std::size_t above = 0;
        for (const auto c : stream.counts) above += c > 1'000'000 / k;
        MESSAGE("space-saving Zipf(1.1) K=50 N=1e6: " << above << " items above N/K, "
                                                      << sketch.frequent(1'000'000 / k).size()
                                                      << " reported, min_count "
                                                      << sketch.min_count());
      }
    }
  }
}

TEST_CASE("space-saving keeps its bounds on a stream of all-distinct items") {
  // Worst case for the summary: every arrival evicts, and every count is mostly error.
  auto sketch = make(64);
  std::vector<std::uint64_t> truth(10'000, 1);
  for (std::uint64_t i = 0; i < truth.size(); ++i) sketch.update(i);
  check_guarantees(sketch, truth, false);
}

TEST_CASE("space-saving merge keeps the guarantees for the combined stream") {
  const auto a = anomstream::sketch::test::zipf_stream(400'000, 50'000, 1.1, 21);
  const auto b = anomstream::sketch::test::zipf_stream(600'000, 50'000, 0.9, 22);
  std::vector<std::uint64_t> truth(50'000);
  for (std::size_t r = 0; r < truth.size(); ++r) truth[r] = a.counts[r] + b.counts[r];
  auto left = make(200);
  auto right = make(200);
  // Reverse the ranks of b so the two streams disagree on their heavy hitters.
  for (const auto item : a.items) left.update(item);
  for (const auto item : b.items) right.update(49'999 - item);
  std::vector<std::uint64_t> reversed_truth(50'000);
  for (std::size_t r = 0; r < truth.size(); ++r) {
    reversed_truth[r] = a.counts[r] + b.counts[49'999 - r];
  }
  REQUIRE(left.merge(right));
  CHECK(left.total() == 1'000'000);
  check_guarantees(left, reversed_truth, true);
}

TEST_CASE("space-saving merge without evictions is exact, and merging with itself doubles") {
  auto left = make(16);
  auto right = make(16);
  for (std::uint64_t i = 0; i < 6; ++i) left.update(i, i + 1);
  for (std::uint64_t i = 4; i < 10; ++i) right.update(i, 10);
  REQUIRE(left.merge(right));
  CHECK(left.size() == 10);
  CHECK(left.bounds(std::uint64_t{0}) == FrequencyBounds{1, 1});
  CHECK(left.bounds(std::uint64_t{5}) == FrequencyBounds{16, 16});
  CHECK(left.bounds(std::uint64_t{9}) == FrequencyBounds{10, 10});
  REQUIRE(left.merge(left));
  CHECK(left.bounds(std::uint64_t{5}) == FrequencyBounds{32, 32});
  CHECK(left.total() == 2 * (21 + 60));
}

TEST_CASE("space-saving refuses to merge another capacity, item size or key") {
  auto base = make(16, 1);
  const auto check = [&](const SpaceSaving<std::uint64_t>& other, std::string_view field) {
    auto status = base.merge(other);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::incompatible);
    CHECK(status.error().field == field);
  };
  check(make(17, 1), "capacity");
  check(make(16, 1, 32), "max_item_bytes");
  check(make(16, 2), "key");
}

TEST_CASE("space-saving counts string items and rejects ones longer than max_item_bytes") {
  auto sketch = make<std::string>(4, 1, 8);
  CHECK(sketch.update("tenant-a"));
  CHECK(sketch.update(std::string_view("tenant-a"), 2));
  CHECK(sketch.update("b"));
  CHECK_FALSE(sketch.update("tenant-ab"));  // 9 bytes
  CHECK(sketch.total() == 4);
  CHECK(sketch.bounds("tenant-a") == FrequencyBounds{3, 3});
  CHECK(sketch.bounds("tenant-ab") == FrequencyBounds{0, 0});
  const auto top = sketch.top(1);
  REQUIRE(top.size() == 1);
  CHECK(top[0].item == "tenant-a");
  // Evictions reuse the slot strings.
  for (int i = 0; i < 100; ++i) sketch.update("x" + std::to_string(i));
  CHECK(sketch.size() == 4);
  CHECK(sketch.bounds("tenant-a").upper >= 3);
}

TEST_CASE("space-saving accepts fixed-size byte keys") {
  using Address = std::array<std::uint8_t, 16>;
  auto sketch = make<Address>(4);
  Address a{};
  a[15] = 1;
  Address b{};
  b[0] = 1;
  sketch.update(a, 3);
  sketch.update(b);
  CHECK(sketch.bounds(a) == FrequencyBounds{3, 3});
  CHECK(sketch.bounds(b) == FrequencyBounds{1, 1});
}

TEST_CASE("space-saving is deterministic and its answers do not depend on the key") {
  const auto stream = anomstream::sketch::test::zipf_stream(50'000, 10'000, 1.1, 31);
  auto a = make(32, 1);
  auto b = make(32, 1);
  for (const auto item : stream.items) {
    a.update(item);
    b.update(item);
  }
  CHECK(a.snapshot() == b.snapshot());
  CHECK(a.top(32) == b.top(32));
  // The key only places items in the hash index; evictions follow the heap alone.
  auto c = make(32, 2);
  for (const auto item : stream.items) c.update(item);
  CHECK(c.snapshot().counters == a.snapshot().counters);
}

TEST_CASE("a restored space-saving continues bit for bit") {
  const auto stream = anomstream::sketch::test::zipf_stream(100'000, 10'000, 1.1, 32);
  auto original = make(64);
  for (std::size_t i = 0; i < 40'000; ++i) original.update(stream.items[i]);
  auto restored = SpaceSaving<std::uint64_t>::restore(original.snapshot());
  REQUIRE(restored);
  CHECK(restored->snapshot() == original.snapshot());
  for (std::size_t i = 40'000; i < stream.items.size(); ++i) {
    original.update(stream.items[i]);
    restored->update(stream.items[i]);
  }
  CHECK(restored->snapshot() == original.snapshot());
  CHECK(restored->top(64) == original.top(64));

  auto strings = make<std::string>(3, 1, 16);
  for (const char* s : {"a", "b", "a", "c", "d", "a"}) strings.update(s);
  auto restored_strings = SpaceSaving<std::string>::restore(strings.snapshot());
  REQUIRE(restored_strings);
  for (const char* s : {"e", "b", "b", "a"}) {
    strings.update(s);
    restored_strings->update(s);
  }
  CHECK(restored_strings->snapshot() == strings.snapshot());
}

TEST_CASE("space-saving restore rejects snapshots that break its invariants") {
  auto full = make(4);
  for (const std::uint64_t item : {1, 1, 1, 2, 2, 3, 4, 5, 6}) full.update(item);
  REQUIRE(full.size() == 4);
  auto partial = make(4);
  for (const std::uint64_t item : {1, 1, 2}) partial.update(item);
  const auto check = [](const SpaceSaving<std::uint64_t>::Snapshot& bad, std::string_view field) {
    auto restored = SpaceSaving<std::uint64_t>::restore(bad);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
    CHECK(restored.error().field == field);
  };
  auto bad = full.snapshot();
  bad.capacity = 0;
  check(bad, "capacity");
  bad = full.snapshot();
  bad.capacity = 3;
  check(bad, "counters");
  bad = full.snapshot();
  bad.counters[2].item = bad.counters[1].item;
  check(bad, "counters[2].item");
  bad = full.snapshot();
  bad.counters[1].error = bad.counters[1].count;
  check(bad, "counters[1].error");
  bad = full.snapshot();
  bad.counters[0].count = bad.counters[1].count + 1;  // root above a child
  bad.counters[0].error = 0;
  check(bad, "counters[1].count");
  bad = full.snapshot();
  bad.total = 0;
  check(bad, "total");
  bad = partial.snapshot();
  bad.total += 1;
  check(bad, "total");
  bad = partial.snapshot();
  bad.counters[0].error = 1;
  bad.counters[0].count = 2;
  check(bad, "counters[0].error");

  auto strings = make<std::string>(2, 1, 4);
  strings.update("abcd");
  auto long_item = strings.snapshot();
  long_item.counters[0].item = "abcde";
  auto restored = SpaceSaving<std::string>::restore(long_item);
  REQUIRE_FALSE(restored);
  CHECK(restored.error().field == "counters[0].item");
}

TEST_CASE("space-saving updates do not allocate after create") {
  const auto stream = anomstream::sketch::test::zipf_stream(20'000, 5'000, 1.1, 41);
  auto numbers = make(100);
  auto strings = make<std::string>(100, 1, 32);
  std::vector<std::string> names;
  for (std::uint64_t i = 0; i < 5'000; ++i) names.push_back("tenant-with-long-name-" + std::to_string(i));
  const std::size_t before = anomstream::sketch::test::allocation_count();
  for (const auto item : stream.items) {
    numbers.update(item);
    strings.update(names[item]);
  }
  const auto bounds = numbers.bounds(std::uint64_t{0});
  CHECK(anomstream::sketch::test::allocation_count() == before);
  CHECK(bounds.upper > 0);
  CHECK(strings.total() == stream.items.size());
}

TEST_CASE("space-saving memory stays within its documented per-slot bound") {
  // At most K * (sizeof(Item) + 100) bytes, plus K * max_item_bytes for strings: per
  // slot 36 bytes of count, error, hash and heap links, and 2 to 4 index entries of 16.
  const auto numbers = make(1000);
  CHECK(numbers.memory_bytes() >= 1000 * (8 + 36 + 32));
  CHECK(numbers.memory_bytes() <= 1000 * (8 + 100) + 512);
  const auto strings = make<std::string>(1000, 1, 64);
  CHECK(strings.memory_bytes() >= 1000 * (64 + 36 + 32));
  CHECK(strings.memory_bytes() <= 1000 * (sizeof(std::string) + 100 + 64 + 1) + 512);
}
