#include <doctest/doctest.h>

#include <vector>

#include "anomstream/forest.hpp"
#include "forest_test_support.hpp"

using anomstream::forest::AttributionStability;
using anomstream::forest::DiVector;

TEST_CASE("trees that agree give confidence 1; trees that blame disjoint entries give 0") {
  DiVector a(2);
  a.high = {2.0, 0.0};
  DiVector b(2);
  b.high = {4.0, 0.0};
  const std::vector<DiVector> agree = {a, b};
  const auto s = AttributionStability::from_trees(agree);
  CHECK(s.confidence == doctest::Approx(1.0));
  CHECK(s.top_dimension == 0);
  CHECK(s.top_agreement == 1.0);
  CHECK(s.dispersion[0] == doctest::Approx(0.0));
  CHECK(s.attribution.high[0] == doctest::Approx(3.0));

  DiVector c(2);
  c.low = {0.0, 1.0};
  const std::vector<DiVector> disagree = {a, c};
  const auto t = AttributionStability::from_trees(disagree);
  // Forest shares: high[0] 2/3, low[1] 1/3; tree shares (1, 0) and (0, 1): TV distances
  // 1/3 and 2/3, mean 1/2.
  CHECK(t.confidence == doctest::Approx(0.5));
  CHECK(t.top_agreement == 0.5);
  CHECK(t.dispersion[0] == doctest::Approx(0.5));
}

TEST_CASE("an outlier in one dimension is explained with high confidence") {
  auto forest = anomstream::test::small_forest(4, 2, 128).build();
  REQUIRE(forest);
  const auto stream = anomstream::test::make_stream(4, 6000, 8);
  for (std::size_t t = 0; t < stream.rows(); ++t) {
    REQUIRE(forest->update(stream.row(t)));
  }
  std::vector<double> outlier(stream.row(100).begin(), stream.row(100).end());
  outlier[2] += 6.0;
  auto s = forest->attribution_stability(outlier);
  REQUIRE(s);
  CHECK(s->top_dimension == 2);
  CHECK(s->attribution.high[2] > 0.9 * s->attribution.total());
  CHECK(s->confidence > 0.8);
  CHECK(s->top_agreement > 0.9);
  CHECK(s->attribution.total() == doctest::Approx(*forest->score(outlier)).epsilon(1e-5));
  auto early = anomstream::test::small_forest(4).build();
  CHECK(early->attribution_stability(outlier).error().code == anomstream::ErrorCode::not_ready);
}
