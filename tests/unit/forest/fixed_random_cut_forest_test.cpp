#include <doctest/doctest.h>

#include <array>
#include <limits>

#include "anomstream/forest.hpp"
#include "forest_test_support.hpp"

TEST_CASE("the fixed-dimension front end scores like the runtime engine") {
  auto fixed = anomstream::FixedRandomCutForest<3>::build(anomstream::test::small_forest(99, 4));
  auto runtime = anomstream::test::small_forest(3, 4).build();
  REQUIRE(fixed);
  REQUIRE(runtime);
  CHECK(fixed->engine().dimension() == 3);
  const auto stream = anomstream::test::make_stream(3, 1500, 3);
  for (std::size_t t = 0; t < stream.rows(); ++t) {
    const std::array<double, 3> p = {stream.row(t)[0], stream.row(t)[1], stream.row(t)[2]};
    auto a = fixed->score_and_update(p);
    auto b = runtime->score_and_update(stream.row(t));
    REQUIRE(a);
    REQUIRE(*a == *b);
  }
  const std::array<double, 3> nan_point = {0.0, std::numeric_limits<double>::quiet_NaN(), 0.0};
  CHECK(fixed->update(nan_point).error().code == anomstream::ErrorCode::non_finite);
  auto restored = anomstream::FixedRandomCutForest<3>::restore(fixed->snapshot());
  REQUIRE(restored);
  CHECK(restored->snapshot() == fixed->snapshot());
  auto wrong = anomstream::FixedRandomCutForest<4>::restore(fixed->snapshot());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == anomstream::ErrorCode::incompatible);
}
