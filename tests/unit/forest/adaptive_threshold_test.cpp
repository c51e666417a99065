#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/adaptive_threshold.hpp"

using anomstream::forest::AdaptiveThreshold;
using anomstream::forest::AdaptiveThresholdConfig;

namespace {
double gaussian(anomstream::Xoshiro256& rng) {
  const double u1 = std::max(rng.uniform01(), 1e-300);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * rng.uniform01());
}
}  // namespace

TEST_CASE("the threshold settles at mean + z sd of a stationary score stream") {
  // Scores ~ N(1.2, 0.1). Winsorising at 3 sd removes 0.13% of mass per side, which
  // shrinks the sd by about 1.3%; the decayed estimate (effective window ~2000 scores)
  // has a relative standard error near 1/sqrt(2 * 2000) = 1.6%. Accept 5%.
  auto t = AdaptiveThreshold::create({.z_factor = 3.0, .min_score = 0.0, .decay = 1.0 / 1000});
  REQUIRE(t);
  anomstream::Xoshiro256 rng(5);
  for (int i = 0; i < 20000; ++i) REQUIRE(t->update(1.2 + 0.1 * gaussian(rng)));
  CHECK(t->mean() == doctest::Approx(1.2).epsilon(0.01));
  CHECK(t->deviation() == doctest::Approx(0.1).epsilon(0.05));
  CHECK(t->threshold() == doctest::Approx(1.5).epsilon(0.02));
}

TEST_CASE("grades are zero below the threshold and rise to one at the upper factor") {
  auto t = AdaptiveThreshold::create({.z_factor = 3.0, .upper_z_factor = 6.0, .min_score = 0.0, .warmup = 10});
  REQUIRE(t);
  anomstream::Xoshiro256 rng(6);
  for (int i = 0; i < 5000; ++i) REQUIRE(t->update(1.0 + 0.1 * gaussian(rng)));
  const double mean = t->mean(), sd = t->deviation();
  CHECK(t->grade(mean + 2 * sd)->grade == 0.0);
  const auto mid = t->grade(mean + 4.5 * sd);
  CHECK(mid->grade == doctest::Approx(0.5).epsilon(0.01));
  CHECK(mid->threshold == doctest::Approx(mean + 3 * sd));
  CHECK(t->grade(mean + 3.0001 * sd)->grade > 0.0);
  CHECK(t->grade(mean + 10 * sd)->grade == 1.0);
}

TEST_CASE("min_score floors the threshold") {
  auto t = AdaptiveThreshold::create({.min_score = 1.0, .warmup = 2});
  REQUIRE(t);
  for (int i = 0; i < 100; ++i) REQUIRE(t->update(0.5));
  CHECK(t->threshold() == 1.0);
  CHECK(t->grade(0.9)->grade == 0.0);
  CHECK(t->grade(1.1)->grade > 0.0);
}

TEST_CASE("no grade is given during warm-up") {
  auto t = AdaptiveThreshold::create({.min_score = 0.0, .warmup = 50});
  REQUIRE(t);
  for (int i = 0; i < 49; ++i) REQUIRE(t->update(1.0 + 0.01 * (i % 3)));
  CHECK(t->grade(100.0)->grade == 0.0);
  REQUIRE(t->update(1.0));
  CHECK(t->grade(100.0)->grade > 0.0);
}

TEST_CASE("a burst of outliers barely moves the deviation it is measured against") {
  auto t = AdaptiveThreshold::create({.min_score = 0.0, .decay = 1.0 / 1000});
  REQUIRE(t);
  anomstream::Xoshiro256 rng(7);
  for (int i = 0; i < 5000; ++i) REQUIRE(t->update(1.0 + 0.1 * gaussian(rng)));
  const double before = t->deviation();
  // Without winsorising, 20 scores of 50 in a window of ~1000 would raise the sd ~7x.
  for (int i = 0; i < 20; ++i) REQUIRE(t->update(50.0));
  CHECK(t->deviation() < 1.5 * before);
}

TEST_CASE("snapshot and restore continue bit for bit") {
  auto t = AdaptiveThreshold::create({});
  REQUIRE(t);
  anomstream::Xoshiro256 rng(8);
  for (int i = 0; i < 300; ++i) REQUIRE(t->update(1.0 + 0.2 * gaussian(rng)));
  auto copy = AdaptiveThreshold::restore(t->snapshot());
  REQUIRE(copy);
  for (int i = 0; i < 300; ++i) {
    const double s = 1.0 + 0.3 * gaussian(rng);
    CHECK(t->grade(s)->grade == copy->grade(s)->grade);
    REQUIRE(t->update(s));
    REQUIRE(copy->update(s));
  }
  CHECK(t->snapshot() == copy->snapshot());
  auto bad = t->snapshot();
  bad.m2 = -1;
  CHECK(AdaptiveThreshold::restore(bad).error().code == anomstream::ErrorCode::corrupt_snapshot);
}

TEST_CASE("invalid configuration and non-finite scores are errors naming the field") {
  CHECK(AdaptiveThreshold::create({.z_factor = 0.1}).error().field == "z_factor");
  CHECK(AdaptiveThreshold::create({.z_factor = 3, .upper_z_factor = 2}).error().field == "upper_z_factor");
  CHECK(AdaptiveThreshold::create({.min_score = -1}).error().field == "min_score");
  CHECK(AdaptiveThreshold::create({.decay = 0}).error().field == "decay");
  CHECK(AdaptiveThreshold::create({.warmup = 1}).error().field == "warmup");
  auto t = AdaptiveThreshold::create({});
  REQUIRE(t);
  CHECK(t->update(std::nan("")).error().code == anomstream::ErrorCode::non_finite);
  CHECK_FALSE(t->grade(std::numeric_limits<double>::infinity()));
  CHECK(t->count() == 0);
}
