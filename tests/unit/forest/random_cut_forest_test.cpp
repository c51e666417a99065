#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "anomstream/forest.hpp"
#include "anomstream/hotpath/thread_pool.hpp"
#include "forest_test_support.hpp"
#include "rank_statistics.hpp"

using anomstream::ErrorCode;
using anomstream::RandomCutForest;
using anomstream::test::make_stream;
using anomstream::test::small_forest;

namespace {

std::vector<double> score_then_update(RandomCutForest& forest,
                                      const anomstream::test::LabelledStream& stream) {
  std::vector<double> out;
  for (std::size_t t = 0; t < stream.rows(); ++t) {
    auto s = forest.score_and_update(stream.row(t));
    REQUIRE(s);
    out.push_back(*s);
  }
  return out;
}

}  // namespace

TEST_CASE("the same seed gives the same scores; another seed gives other scores") {
  const auto stream = make_stream(3, 3000, 1);
  auto a = small_forest(3, 5).build();
  auto b = small_forest(3, 5).build();
  auto c = small_forest(3, 6).build();
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  const auto sa = score_then_update(*a, stream);
  const auto sb = score_then_update(*b, stream);
  const auto sc = score_then_update(*c, stream);
  CHECK(sa == sb);
  CHECK(sa != sc);
  CHECK(a->snapshot() == b->snapshot());
}

TEST_CASE("score_and_update equals score followed by update, bit for bit") {
  const auto stream = make_stream(4, 3000, 2);
  auto fused = small_forest(4, 9).build();
  auto split = small_forest(4, 9).build();
  REQUIRE(fused);
  REQUIRE(split);
  for (std::size_t t = 0; t < stream.rows(); ++t) {
    auto s1 = fused->score_and_update(stream.row(t));
    auto s2 = split->score(stream.row(t));
    REQUIRE(split->update(stream.row(t)));
    REQUIRE(s1);
    REQUIRE(s2);
    REQUIRE(*s1 == *s2);
  }
  CHECK(fused->snapshot() == split->snapshot());
}

TEST_CASE("a thread-pool executor gives bit-identical results to serial execution") {
  const auto stream = make_stream(6, 3000, 3);
  auto serial = small_forest(6, 4).build();
  REQUIRE(serial);
  const auto expected = score_then_update(*serial, stream);
  for (const std::size_t threads : {2U, 3U}) {
    auto pool = anomstream::hotpath::ThreadPool::create(threads);
    REQUIRE(pool);
    auto parallel = small_forest(6, 4).executor(*pool).build();
    REQUIRE(parallel);
    CHECK(score_then_update(*parallel, stream) == expected);
    CHECK(parallel->snapshot() == serial->snapshot());
    const auto probe = stream.row(17);
    CHECK(*parallel->score(probe) == *serial->score(probe));
    CHECK(*parallel->attribution(probe) == *serial->attribution(probe));
  }
}

TEST_CASE("scores are 0 until output_after updates, then positive") {
  auto forest = small_forest(2).output_after(10).build();
  REQUIRE(forest);
  const std::vector<double> p = {0.5, 0.25};
  for (int i = 0; i < 10; ++i) {
    CHECK(*forest->score(p) == 0.0);
    CHECK_FALSE(forest->is_ready());
    REQUIRE(forest->update(std::vector<double>{0.1 * i, 0.2 * i}));
  }
  CHECK(forest->is_ready());
  CHECK(*forest->score(p) > 0.0);
}

TEST_CASE("NaN, infinity, out-of-range values and wrong lengths are errors that change nothing") {
  auto forest = small_forest(3).build();
  REQUIRE(forest);
  const auto stream = make_stream(3, 500, 4);
  for (std::size_t t = 0; t < stream.rows(); ++t) {
    REQUIRE(forest->update(stream.row(t)));
  }
  const auto before = forest->snapshot();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    std::vector<double> point;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {{0.0, nan, 0.0}, ErrorCode::non_finite},
      {{inf, 0.0, 0.0}, ErrorCode::non_finite},
      {{0.0, 0.0, -inf}, ErrorCode::non_finite},
      {{0.0, 1e300, 0.0}, ErrorCode::invalid_input},
      {{0.0, 0.0}, ErrorCode::dimension_mismatch},
      {{0.0, 0.0, 0.0, 0.0}, ErrorCode::dimension_mismatch},
      {{}, ErrorCode::dimension_mismatch},
  };
  for (const auto& c : cases) {
    auto u = forest->update(c.point);
    REQUIRE_FALSE(u);
    CHECK(u.error().code == c.code);
    CHECK(u.error().field.starts_with("point"));
    auto s = forest->score(c.point);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == c.code);
    auto su = forest->score_and_update(c.point);
    REQUIRE_FALSE(su);
    CHECK(su.error().code == c.code);
    CHECK_FALSE(forest->attribution(c.point));
    CHECK_FALSE(forest->attribution_stability(c.point));
    CHECK_FALSE(forest->forensic_baseline(c.point));
  }
  CHECK(forest->snapshot() == before);
  CHECK(forest->update(stream.row(0)));
}

TEST_CASE("the invariants hold after long streams, with duplicates, decay 0 and extreme sizes") {
  struct Setup {
    std::size_t dimension;
    std::size_t sample_size;
    double time_decay;
    bool duplicates;
  };
  for (const Setup setup : {Setup{3, 64, 0.1 / 64, false}, Setup{2, 32, 0.0, true},
                            Setup{1, 1, 0.01, false}, Setup{5, 16, 0.05, true},
                            Setup{16, 32, 0.01, true}}) {
    CAPTURE(setup.dimension);
    CAPTURE(setup.sample_size);
    auto forest = small_forest(setup.dimension, 7, setup.sample_size).time_decay(setup.time_decay).build();
    REQUIRE(forest);
    anomstream::Xoshiro256 rng(8);
    std::vector<double> p(setup.dimension);
    for (int t = 0; t < 4000; ++t) {
      for (auto& v : p) {
        v = setup.duplicates ? static_cast<double>(rng.below(3)) : rng.uniform01();
      }
      REQUIRE(forest->score_and_update(p));
      if (t % 500 == 499) {
        const auto valid = forest->validate();
        if (!valid) {
          FAIL(valid.error().message());
        }
      }
    }
    for (std::size_t i = 0; i < forest->num_trees(); ++i) {
      REQUIRE(forest->tree(i).tree().mass() <= setup.sample_size);
    }
  }
}

TEST_CASE("the largest sample size fills and stays valid") {
  auto forest = small_forest(2, 1, 2048).build();
  REQUIRE(forest);
  anomstream::Xoshiro256 rng(1);
  for (int t = 0; t < 5000; ++t) {
    REQUIRE(forest->update(std::vector<double>{rng.uniform01(), rng.uniform01()}));
  }
  CHECK(forest->validate());
  CHECK(forest->tree(0).reservoir().size() > 1000);
}

TEST_CASE("the forest separates injected outliers (ROC-AUC >= 0.95) on the README stream") {
  // 20 outliers among 20 000 points, 100 trees of 256 as the reference.
  const auto stream = make_stream(8, 20000, 21);
  auto forest = anomstream::ForestBuilder().dimension(8).seed(3).build();
  REQUIRE(forest);
  const auto scores = score_then_update(*forest, stream);
  const std::vector<double> tail(scores.begin() + 1000, scores.end());
  const std::vector<int> labels(stream.labels.begin() + 1000, stream.labels.end());
  const double auc = anomstream::test::roc_auc(tail, labels);
  MESSAGE("ROC-AUC on the generated D=8 stream: " << auc);
  CHECK(auc >= 0.95);
  double inlier_mean = 0;
  std::size_t inliers = 0;
  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (labels[i] == 0) {
      inlier_mean += tail[i];
      ++inliers;
    }
  }
  inlier_mean /= static_cast<double>(inliers);
  CHECK(inlier_mean > 0.7);
  CHECK(inlier_mean < 1.1);
}

TEST_CASE("the observation path does not allocate once the forest is warm") {
  const auto stream = make_stream(4, 32000, 5);
  auto forest = anomstream::ForestBuilder().dimension(4).num_trees(50).seed(2).build();
  REQUIRE(forest);
  for (std::size_t t = 0; t < 30000; ++t) {
    REQUIRE(forest->update(stream.row(t)));
  }
  const std::size_t before = anomstream::test::allocation_count();
  double sum = 0;
  for (std::size_t t = 30000; t < 32000; ++t) {
    sum += *forest->score(stream.row(t));
    sum += *forest->score_and_update(stream.row(t));
    REQUIRE(forest->update(stream.row(t)));
  }
  CHECK(anomstream::test::allocation_count() == before);
  CHECK(sum > 0);
}

TEST_CASE("memory_bytes counts the trees, reservoirs and point store") {
  auto forest = anomstream::ForestBuilder().dimension(16).build();
  REQUIRE(forest);
  const std::size_t empty = forest->memory_bytes();
  const auto stream = make_stream(16, 20000, 6);
  for (std::size_t t = 0; t < stream.rows(); ++t) {
    REQUIRE(forest->update(stream.row(t)));
  }
  const std::size_t warm = forest->memory_bytes();
  CHECK(warm > empty);
  std::size_t box_slots = 0;
  for (std::size_t i = 0; i < forest->num_trees(); ++i) {
    box_slots += forest->tree(i).tree().box_slots();
    // About two thirds of the 255 internal nodes store a box (the rest have two leaves).
    CHECK(forest->tree(i).tree().box_slots() < 230);
  }
  const std::size_t floor = box_slots * 2 * 16 * sizeof(float) +
                            forest->point_store().live_points() * 16 * sizeof(float) +
                            100U * 256U * (sizeof(anomstream::forest::InternalNode) + 12U);
  CHECK(warm >= floor);
  CHECK(warm < floor + 1000000);
  MESSAGE("D=16 forest bytes: empty " << empty << ", warm " << warm);
}
