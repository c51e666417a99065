#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <utility>

#include "anomstream/core/random.hpp"
#include "anomstream/triage/detail/lru_table.hpp"

using anomstream::triage::detail::LruTable;

TEST_CASE("lru table agrees with a list-based reference under random inserts, hits and erases") {
  // Keys from a small range so probes collide, erases shift runs and evictions happen.
  anomstream::Xoshiro256 rng(42);
  LruTable<int> table(37);
  std::list<std::pair<std::uint64_t, int>> reference;  // least recent first
  auto find_ref = [&](std::uint64_t key) {
    return std::find_if(reference.begin(), reference.end(), [&](const auto& e) { return e.first == key; });
  };
  for (int step = 0; step < 200000; ++step) {
    const std::uint64_t key = rng.below(100);
    const auto action = rng.below(3);
    auto it = find_ref(key);
    auto* node = table.find(key);
    REQUIRE((node != nullptr) == (it != reference.end()));
    if (action == 0 && node != nullptr) {
      REQUIRE(node->value == it->second);
      table.touch(*node);
      reference.splice(reference.end(), reference, it);
    } else if (action == 1 && node == nullptr) {
      table.insert(key, step);
      if (reference.size() == 37) reference.pop_front();
      reference.emplace_back(key, step);
    } else if (action == 2) {
      table.erase(key);
      if (it != reference.end()) reference.erase(it);
    }
    REQUIRE(table.size() == reference.size());
  }
  auto it = reference.begin();
  table.for_each([&](const auto& node) {
    CHECK(node.key == it->first);
    CHECK(node.value == it->second);
    ++it;
  });
  CHECK(it == reference.end());
}
