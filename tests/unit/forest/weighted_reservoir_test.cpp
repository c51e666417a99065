#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/weighted_reservoir.hpp"

using anomstream::forest::WeightedReservoir;

TEST_CASE("the reservoir evicts its largest weight first and stays a heap") {
  WeightedReservoir heap(64);
  anomstream::Xoshiro256 rng(3);
  std::vector<double> weights;
  for (std::uint32_t i = 0; i < 64; ++i) {
    const double w = rng.uniform01();
    weights.push_back(w);
    heap.push(w, i);
    REQUIRE(heap.is_heap());
  }
  CHECK(heap.full());
  std::sort(weights.begin(), weights.end());
  while (!heap.empty()) {
    const double top = heap.max_weight();
    CHECK(top == weights.back());
    const std::uint32_t point = heap.evict_max();
    CHECK(point < 64);
    weights.pop_back();
    REQUIRE(heap.is_heap());
  }
}

TEST_CASE("assign restores contents that is_heap can check") {
  WeightedReservoir heap(4);
  const double good[3] = {3.0, 1.0, 2.0};
  const std::uint32_t points[3] = {7, 8, 9};
  heap.assign(good, points);
  CHECK(heap.size() == 3);
  CHECK(heap.is_heap());
  const double bad[3] = {1.0, 3.0, 2.0};
  heap.assign(bad, points);
  CHECK_FALSE(heap.is_heap());
}
