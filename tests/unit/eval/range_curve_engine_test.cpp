#include <doctest/doctest.h>

#include <random>

#include "anomstream/eval/detail/range_curve_engine.hpp"
#include "reference_oracle.hpp"

using anomstream::eval::detail::RangeCurveEngine;
using anomstream::eval::detail::SegmentRule;
using anomstream::eval::detail::WindowTally;

TEST_CASE("the engine's tally does not depend on the order of the buffer lengths asked") {
  std::mt19937_64 rng(8);
  const auto series = anomstream::eval::oracle::random_series(rng, 500);
  RangeCurveEngine growing(series.labels, series.scores, 250);
  WindowTally wide;
  growing.tally(30, SegmentRule::tsb_ad_buffer, wide);
  WindowTally narrow_after_wide;
  growing.tally(6, SegmentRule::tsb_ad_buffer, narrow_after_wide);  // restarts the minima

  RangeCurveEngine fresh(series.labels, series.scores, 250);
  WindowTally narrow;
  fresh.tally(6, SegmentRule::tsb_ad_buffer, narrow);
  CHECK(narrow_after_wide.segments == narrow.segments);
  CHECK(narrow_after_wide.segments_hit == narrow.segments_hit);
  CHECK(narrow_after_wide.ramp_hits == narrow.ramp_hits);
  CHECK(narrow_after_wide.ramp_sum == narrow.ramp_sum);
}

TEST_CASE("the engine's threshold schedule is numpy's linspace ranks of the sorted scores") {
  // T = 1000, K = 250: rank k = floor(k * 999 / 249); scores 999..0 make theta_k equal
  // to 999 - rank, and the predicted count rank + 1.
  std::vector<std::uint8_t> labels(1000, 0);
  labels[10] = 1;
  std::vector<double> scores;
  for (int i = 0; i < 1000; ++i) scores.push_back(999.0 - i);
  RangeCurveEngine engine(labels, scores, 250);
  REQUIRE(engine.thresholds() == 250);
  for (std::size_t k = 0; k < 250; ++k) {
    const auto rank = static_cast<std::size_t>(static_cast<double>(k) * (999.0 / 249.0));
    const std::size_t expected_rank = k == 249 ? 999 : rank;
    CHECK(engine.threshold_values()[k] == 999.0 - static_cast<double>(expected_rank));
    CHECK(engine.predicted()[k] == expected_rank + 1);
  }
  // Ties are included: with every score equal, every threshold predicts every point.
  RangeCurveEngine tied(labels, std::vector<double>(1000, 0.5), 250);
  CHECK(tied.predicted()[0] == 1000);
  CHECK(tied.anomalies_predicted()[0] == 1);
}
