#include <doctest/doctest.h>

#include <vector>

#include "anomstream/forest/point_store.hpp"

using anomstream::forest::PointStore;

TEST_CASE("a released point's slot is reused and its reference count is tracked") {
  PointStore store(3, 100);
  const float a[3] = {1, 2, 3};
  const float b[3] = {4, 5, 6};
  const auto ia = store.add(a);
  const auto ib = store.add(b);
  CHECK(ia != ib);
  CHECK(store.live_points() == 2);
  store.retain(ia);
  CHECK(store.ref_count(ia) == 2);
  store.release(ia);
  CHECK(store.ref_count(ia) == 1);
  store.release(ia);
  CHECK(store.ref_count(ia) == 0);
  CHECK(store.live_points() == 1);
  const float c[3] = {7, 8, 9};
  const auto ic = store.add(c);
  CHECK(ic == ia);  // the freed slot comes back first
  CHECK(store.point(ic)[2] == 9.0F);
  CHECK(store.point(ib)[0] == 4.0F);
  CHECK(store.slots() == 2);
}

TEST_CASE("growing the store keeps every live point's values") {
  PointStore store(2, 100000);
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < 5000; ++i) {
    const float p[2] = {static_cast<float>(i), static_cast<float>(-i)};
    ids.push_back(store.add(p));
  }
  for (int i = 0; i < 5000; i += 2) {
    store.release(ids[static_cast<std::size_t>(i)]);
  }
  for (int i = 1; i < 5000; i += 2) {
    REQUIRE(store.point(ids[static_cast<std::size_t>(i)])[0] == static_cast<float>(i));
    REQUIRE(store.point(ids[static_cast<std::size_t>(i)])[1] == static_cast<float>(-i));
  }
  CHECK(store.live_points() == 2500);
  CHECK(store.memory_bytes() >= store.slots() * (2 * sizeof(float) + sizeof(std::uint32_t)));
}
