#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "anomstream/forest.hpp"
#include "forest_test_support.hpp"

TEST_CASE("the baseline finds the nearest sampled point and the deltas to it and to the mean") {
  auto forest = anomstream::test::small_forest(2, 1, 16).build();
  REQUIRE(forest);
  CHECK(forest->forensic_baseline(std::vector<double>{0, 0}).error().code ==
        anomstream::ErrorCode::not_ready);
  // Only two distinct points, each held by every tree: mean (1, 0).
  for (int i = 0; i < 8; ++i) {
    REQUIRE(forest->update(std::vector<double>{0.0, 0.0}));
    REQUIRE(forest->update(std::vector<double>{2.0, 0.0}));
  }
  auto b = forest->forensic_baseline(std::vector<double>{2.0, 3.0});
  REQUIRE(b);
  CHECK(b->sample_points == 2);
  CHECK(b->nearest == std::vector<double>{2.0, 0.0});
  CHECK(b->nearest_distance == doctest::Approx(3.0));
  CHECK(b->delta_to_nearest == std::vector<double>{0.0, 3.0});
  CHECK(b->delta_to_mean[0] == doctest::Approx(1.0).epsilon(0.05));
  CHECK(b->delta_to_mean[1] == doctest::Approx(3.0));
  CHECK(b->mean_distance >= b->nearest_distance);
}
