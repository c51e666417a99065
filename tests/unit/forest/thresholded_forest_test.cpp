#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/thresholded_forest.hpp"

using anomstream::forest::AnomalyDescriptor;
using anomstream::forest::ThresholdedForest;
using anomstream::forest::ThresholdedForestConfig;

namespace {

constexpr std::size_t D = 4;

ThresholdedForestConfig small_config(std::uint64_t seed) {
  ThresholdedForestConfig c;
  c.forest.dimension = D;
  c.forest.num_trees = 50;
  c.forest.sample_size = 128;
  c.forest.seed = seed;
  c.forest.time_decay = 0.1 / 128;
  c.forest.output_after = 32;
  return c;
}

// The golden streams' shape: per-dimension sinusoids plus noise; every 250th point gets
// +5 on one dimension chosen in turn.
struct Stream {
  anomstream::Xoshiro256 rng{11};
  std::size_t t = 0;
  std::vector<double> point = std::vector<double>(D);
  int outlier_dim = -1;
  void next() {
    for (std::size_t j = 0; j < D; ++j) {
      const double u1 = std::max(rng.uniform01(), 1e-300);
      const double noise = std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * rng.uniform01());
      point[j] = std::sin(2 * std::numbers::pi * static_cast<double>(t) / (50.0 + 7.0 * static_cast<double>(j)) +
                          0.3 * static_cast<double>(j)) + 0.1 * noise;
    }
    outlier_dim = -1;
    if (t >= 1000 && (t + 1) % 250 == 0) {
      outlier_dim = static_cast<int>((t / 250) % D);
      point[static_cast<std::size_t>(outlier_dim)] += 5.0;
    }
    ++t;
  }
};

}  // namespace

TEST_CASE("the thresholded forest flags injected outliers, attributes them to the shifted feature, "
          "and stays quiet on inliers") {
  auto forest = ThresholdedForest::create(small_config(3));
  REQUIRE(forest);
  Stream stream;
  int outliers = 0, caught = 0, attributed = 0, false_alarms = 0, inliers = 0;
  AnomalyDescriptor d;
  for (int i = 0; i < 8000; ++i) {
    stream.next();
    REQUIRE(forest->process(stream.point, true, d));
    if (i < 1000) continue;
    if (stream.outlier_dim >= 0) {
      ++outliers;
      if (!d.anomalous) continue;
      ++caught;
      CHECK(d.score >= d.threshold);
      CHECK(d.attribution.total() == doctest::Approx(d.score).epsilon(1e-6));
      std::size_t top = 0;
      for (std::size_t j = 1; j < D; ++j) {
        if (d.attribution.high_low_sum(j) > d.attribution.high_low_sum(top)) top = j;
      }
      if (top == static_cast<std::size_t>(stream.outlier_dim)) ++attributed;
      REQUIRE(d.expected.size() == D);
      // The expected value of the shifted feature is back near the unshifted signal
      // (within the sinusoid's range) while the others are kept as observed.
      CHECK(d.expected[top] < stream.point[top] - 3.0);
      CHECK(std::abs(d.expected[top]) < 1.5);
    } else {
      ++inliers;
      if (d.anomalous) ++false_alarms;
    }
  }
  MESSAGE("outliers ", outliers, " caught ", caught, " attributed ", attributed, " false alarms ", false_alarms,
          " of ", inliers);
  CHECK(outliers == 28);
  CHECK(caught >= 26);
  CHECK(attributed == caught);
  // RCF scores are right-skewed (a long upper tail), so a 3-sd threshold passes more
  // than the Gaussian 0.13% of inliers; with 50 trees of 128 points about 1%. Accept 2%.
  CHECK(false_alarms < inliers / 50);
}

TEST_CASE("no grade before the forest and the threshold have warmed up") {
  auto forest = ThresholdedForest::create(small_config(4));
  REQUIRE(forest);
  std::vector<double> p(D, 0.0);
  for (int i = 0; i < 40; ++i) {
    p[0] = (i % 2 == 0) ? 0.0 : 1000.0;  // wildly varying, still no grade during warm-up
    auto d = forest->process(p);
    REQUIRE(d);
    CHECK(d->grade == 0.0);
  }
}

TEST_CASE("update = false scores without learning") {
  auto forest = ThresholdedForest::create(small_config(5));
  REQUIRE(forest);
  Stream stream;
  for (int i = 0; i < 200; ++i) {
    stream.next();
    REQUIRE(forest->process(stream.point, i < 100));
  }
  CHECK(forest->forest().entries_seen() == 100);
  CHECK(forest->processed() == 200);
}

TEST_CASE("snapshot and restore continue bit for bit") {
  auto forest = ThresholdedForest::create(small_config(6));
  REQUIRE(forest);
  Stream stream;
  for (int i = 0; i < 1500; ++i) {
    stream.next();
    REQUIRE(forest->process(stream.point));
  }
  auto copy = ThresholdedForest::restore(forest->snapshot());
  REQUIRE(copy);
  for (int i = 0; i < 1500; ++i) {
    stream.next();
    auto a = forest->process(stream.point);
    auto b = copy->process(stream.point);
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(a->score == b->score);
    REQUIRE(a->grade == b->grade);
    REQUIRE(a->threshold == b->threshold);
  }
}

TEST_CASE("bad input is an error value and leaves the state unchanged") {
  auto forest = ThresholdedForest::create(small_config(7));
  REQUIRE(forest);
  std::vector<double> nan_point{0, std::nan(""), 0, 0};
  CHECK(forest->process(nan_point).error().code == anomstream::ErrorCode::non_finite);
  std::vector<double> short_point{0, 0};
  CHECK(forest->process(short_point).error().code == anomstream::ErrorCode::dimension_mismatch);
  CHECK(forest->processed() == 0);
  CHECK(forest->forest().entries_seen() == 0);

  auto bad = small_config(7);
  bad.threshold.z_factor = 100;
  CHECK(ThresholdedForest::create(bad).error().field == "z_factor");
  bad = small_config(7);
  bad.forest.num_trees = 10;
  CHECK(ThresholdedForest::create(bad).error().field.find("num_trees") != std::string::npos);
}

// Retuning changes only the threshold's parameters: the statistics carry over, so a
// new z factor sets the threshold from the next point to
// mean + z_new standard deviations, and a rejected config changes nothing.
TEST_CASE("retune keeps the score statistics and moves the threshold by the new z factor") {
  auto forest = ThresholdedForest::create(small_config(8));
  REQUIRE(forest);
  Stream stream;
  for (int i = 0; i < 1200; ++i) {
    stream.next();
    REQUIRE(forest->process(stream.point));
  }
  const auto before = forest->threshold().snapshot();
  auto config = before.config;
  config.z_factor = before.config.z_factor + 1.0;
  config.upper_z_factor = before.config.upper_z_factor + 1.0;
  config.min_score = 0.0;  // so the threshold is mean + z sd, not the floor
  REQUIRE(forest->retune(config));
  const auto after = forest->threshold().snapshot();
  CHECK(after.config == config);
  CHECK(after.count == before.count);
  CHECK(after.mean == before.mean);
  CHECK(after.m2 == before.m2);
  const double deviation = forest->threshold().deviation();
  REQUIRE(deviation > 0);
  CHECK(forest->threshold().threshold() == doctest::Approx(before.mean + config.z_factor * deviation).epsilon(1e-12));
  auto bad = config;
  bad.z_factor = 100;
  CHECK(forest->retune(bad).error().field == "z_factor");
  CHECK(forest->threshold().snapshot() == after);
}
