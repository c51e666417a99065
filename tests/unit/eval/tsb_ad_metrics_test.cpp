#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "anomstream/eval/auc.hpp"
#include "anomstream/eval/range_auc.hpp"
#include "anomstream/eval/tsb_ad_metrics.hpp"
#include "anomstream/eval/vus.hpp"
#include "reference_oracle.hpp"

using anomstream::eval::tsb_ad_metrics;

TEST_CASE("tsb_ad_metrics returns exactly what the individual metrics return") {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 12; ++trial) {
    const auto series = anomstream::eval::oracle::random_series(rng, 100 + rng() % 900);
    const std::size_t window = rng() % 60;
    CAPTURE(trial);
    const auto all = tsb_ad_metrics(series.labels, series.scores, window);
    REQUIRE(all);
    const auto vus = anomstream::eval::range_vus(series.labels, series.scores, window);
    const auto range = anomstream::eval::range_auc(series.labels, series.scores, window);
    const auto point = anomstream::eval::point_auc(series.labels, series.scores);
    REQUIRE(vus);
    REQUIRE(range);
    REQUIRE(point);
    CHECK(all->vus_pr == vus->vus_pr);
    CHECK(all->vus_roc == vus->vus_roc);
    CHECK(all->range_auc_pr == range->pr);
    CHECK(all->range_auc_roc == range->roc);
    CHECK(all->auc_pr == point->pr);
    CHECK(all->auc_roc == point->roc);
    CHECK(all->auc_pr_trapezoid == point->pr_trapezoid);
  }
}

TEST_CASE("tsb_ad_metrics validates like the individual metrics") {
  const std::vector<std::uint8_t> labels{0, 0, 0};
  const std::vector<double> scores{1, 2, 3};
  auto result = tsb_ad_metrics(labels, scores, 10);
  REQUIRE_FALSE(result);
  CHECK(result.error().field == "labels");
  auto window = tsb_ad_metrics(std::vector<std::uint8_t>{0, 1, 0}, scores,
                               anomstream::eval::MAX_SLIDING_WINDOW + 1);
  REQUIRE_FALSE(window);
  CHECK(window.error().field == "window");
}
