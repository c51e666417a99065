#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/per_feature_cusum.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::drift::CusumAlert;
using anomstream::drift::PerFeatureCusum;
using anomstream::drift::PerFeatureCusumConfig;
using anomstream::drift::PerFeatureCusumEngine;
using anomstream::drift::PerFeatureCusumSnapshot;
using anomstream::drift::ShiftDirection;

namespace {

// Standard normal by Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
double normal(Xoshiro256& rng) {
  const double u1 = 1.0 - rng.uniform01();
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

constexpr std::size_t D = 16;

// k = 0.5, h = 5 with the in-control mean 0 and sigma 1 known exactly, so the
// simulated run lengths are those of the textbook chart.
PerFeatureCusumConfig known_baseline_config() {
  PerFeatureCusumConfig config;
  config.dimension = D;
  config.slack = 0.5;
  config.threshold = 5.0;
  config.baseline_mean.assign(D, 0.0);
  config.baseline_sigma.assign(D, 1.0);
  return config;
}

struct RunLengths {
  double mean_run_length = 0;
  double mean_magnitude = 0;
  std::size_t runs = 0;
  std::size_t up = 0;
  std::size_t down = 0;
};

// Feeds N(shift, 1) points until `runs` alarms were raised over all features. The chart
// restarts from zero after each alarm, so the gaps between a feature's alarms are
// independent run lengths.
RunLengths simulate_run_lengths(double shift, std::size_t runs, std::uint64_t seed) {
  auto cusum = PerFeatureCusum<D>::create(known_baseline_config());
  REQUIRE(cusum);
  Xoshiro256 rng(seed);
  std::array<std::uint64_t, D> last_alarm{};  // observation count at the previous alarm
  RunLengths out;
  double run_sum = 0, magnitude_sum = 0;
  std::uint64_t t = 0;
  while (out.runs < runs) {
    PerFeatureCusum<D>::Point point;
    for (double& x : point) x = shift + normal(rng);
    ++t;
    auto alerts = cusum->observe(point);
    if (!alerts) FAIL(alerts.error().message());  // not REQUIRE: tens of thousands of steps
    for (const CusumAlert& alert : *alerts) {
      run_sum += static_cast<double>(t - last_alarm[alert.feature_index]);
      magnitude_sum += alert.magnitude;
      last_alarm[alert.feature_index] = t;
      ++out.runs;
      (alert.direction == ShiftDirection::up ? out.up : out.down) += 1;
    }
  }
  out.mean_run_length = run_sum / static_cast<double>(out.runs);
  out.mean_magnitude = magnitude_sum / static_cast<double>(out.runs);
  return out;
}

}  // namespace

TEST_CASE("the in-control average run length with k = 0.5 and h = 5 is about 465") {
  // Textbook two-sided ARL0 is about 465 (Montgomery table 9.3; Siegmund's approximation
  // gives 469). Run lengths are roughly geometric, so their sd is about the mean: over
  // 1600 runs the standard error is about 465 / 40 = 12, and [400, 540] is over 5 of them.
  const RunLengths r = simulate_run_lengths(0.0, 1600, 20240601);
  MESSAGE("in-control ARL over ", r.runs, " runs: ", r.mean_run_length);
  CHECK(r.mean_run_length >= 400.0);
  CHECK(r.mean_run_length <= 540.0);
  // Under the null both sides alarm equally often: up ~ Binomial(n, 1/2), sd 20.
  CHECK(r.up > 0.4 * static_cast<double>(r.runs));
  CHECK(r.down > 0.4 * static_cast<double>(r.runs));
}

TEST_CASE("cusum detects a one-sigma shift in about ten steps") {
  // Textbook out-of-control ARL for a one-sigma shift with k = 0.5, h = 5 is 10.4; the
  // run length's sd is about 5.5, so over 4000 runs the standard error is about 0.09 and
  // [9, 12] is more than 10 of them either side.
  const RunLengths r = simulate_run_lengths(1.0, 4000, 7);
  MESSAGE("ARL at a one-sigma shift: ", r.mean_run_length,
          ", mean estimated shift: ", r.mean_magnitude);
  CHECK(r.mean_run_length >= 9.0);
  CHECK(r.mean_run_length <= 12.0);
  CHECK(r.down == 0);
  // Estimated shift k + S/N: S ends at h plus an overshoot below one step, so with N
  // near 10 the estimate is near 0.5 + 5.6 / 10 = 1.06. Its mean is biased upward
  // because E[1/N] > 1/E[N] and N counts only from the statistic's last zero, so accept
  // [0.9, 1.6] (well apart from the 2.0+ a two-sigma shift gives).
  CHECK(r.mean_magnitude > 0.9);
  CHECK(r.mean_magnitude < 1.6);
}

TEST_CASE("the statistics follow the tabular CUSUM recursion and reset after an alarm") {
  PerFeatureCusumConfig config;
  config.dimension = 2;
  config.slack = 0.5;
  config.threshold = 2.0;
  config.baseline_mean = {10.0, 0.0};
  config.baseline_sigma = {2.0, 1.0};
  auto cusum = PerFeatureCusumEngine::create(config);
  REQUIRE(cusum);
  // Feature 0: z = (13 - 10) / 2 = 1.5, so S+ grows by 1 per step: 1, 2, then 3 > 2.
  // Feature 1: z = -0.75, so S- grows by 0.25 per step.
  const std::array<double, 2> point{13.0, -0.75};
  auto first = cusum->observe(point);
  REQUIRE(first);
  CHECK(first->empty());
  CHECK(cusum->upper_statistic()[0] == 1.0);
  CHECK(cusum->lower_statistic()[0] == 0.0);
  CHECK(cusum->lower_statistic()[1] == 0.25);
  REQUIRE(cusum->observe(point)->empty());
  CHECK(cusum->upper_statistic()[0] == 2.0);
  auto third = cusum->observe(point);
  REQUIRE(third);
  REQUIRE(third->size() == 1);
  const CusumAlert& alert = (*third)[0];
  CHECK(alert.feature_index == 0);
  CHECK(alert.direction == ShiftDirection::up);
  CHECK(alert.statistic == 3.0);
  CHECK(alert.run_length == 3);
  CHECK(alert.magnitude == 0.5 + 3.0 / 3.0);
  CHECK(cusum->upper_statistic()[0] == 0.0);
  CHECK(cusum->lower_statistic()[0] == 0.0);
  CHECK(cusum->lower_statistic()[1] == 0.75);
  // Feature 1 alarms downward once S- = 9 * 0.25 > 2, at step 9, together with feature
  // 0's third alarm (steps 3, 6, 9); alerts come in feature order.
  for (int step = 4; step <= 8; ++step) {
    auto alerts = cusum->observe(point);
    REQUIRE(alerts);
    CHECK(alerts->size() == (step == 6 ? 1U : 0U));
    for (const CusumAlert& a : *alerts) CHECK(a.feature_index == 0);
  }
  auto ninth = cusum->observe(point);
  REQUIRE(ninth);
  REQUIRE(ninth->size() == 2);
  CHECK((*ninth)[0].feature_index == 0);
  CHECK((*ninth)[1].feature_index == 1);
  CHECK((*ninth)[1].direction == ShiftDirection::down);
  CHECK((*ninth)[1].statistic == 2.25);
  CHECK((*ninth)[1].run_length == 9);
}

TEST_CASE("a many-feature chart equals one single-feature chart per feature") {
  // Features never interact, so a 5-feature chart (vectorised pairs plus a scalar tail)
  // must give exactly what five 1-feature charts give.
  constexpr std::size_t WIDTH = 5;
  PerFeatureCusumConfig wide_config;
  wide_config.dimension = WIDTH;
  wide_config.threshold = 3.0;
  wide_config.warmup = 30;
  auto wide = PerFeatureCusumEngine::create(wide_config);
  REQUIRE(wide);
  std::vector<PerFeatureCusumEngine> narrow;
  PerFeatureCusumConfig narrow_config = wide_config;
  narrow_config.dimension = 1;
  for (std::size_t j = 0; j < WIDTH; ++j) {
    narrow.push_back(*PerFeatureCusumEngine::create(narrow_config));
  }
  Xoshiro256 rng(12);
  std::size_t alerts_seen = 0;
  for (int t = 0; t < 3000; ++t) {
    std::array<double, WIDTH> point;
    for (std::size_t j = 0; j < WIDTH; ++j) point[j] = (t > 1500 ? 0.3 * j : 0.0) + normal(rng);
    auto alerts = wide->observe(point);
    REQUIRE(alerts);
    std::size_t next = 0;
    for (std::size_t j = 0; j < WIDTH; ++j) {
      auto single = narrow[j].observe(std::array{point[j]});
      REQUIRE(single);
      if (!single->empty()) {
        REQUIRE(next < alerts->size());
        CusumAlert expected = (*single)[0];
        expected.feature_index = static_cast<std::uint32_t>(j);
        CHECK((*alerts)[next++] == expected);
      }
      CHECK(wide->upper_statistic()[j] == narrow[j].upper_statistic()[0]);
      CHECK(wide->lower_statistic()[j] == narrow[j].lower_statistic()[0]);
    }
    CHECK(next == alerts->size());
    alerts_seen += next;
  }
  CHECK(alerts_seen > 10);
}

TEST_CASE("warm-up learns each feature's mean and sample standard deviation") {
  PerFeatureCusumConfig config;
  config.dimension = 2;
  config.warmup = 4;
  auto cusum = PerFeatureCusumEngine::create(config);
  REQUIRE(cusum);
  const double rows[4][2] = {{1, 10}, {2, 10}, {3, 10}, {4, 10}};
  for (const auto& row : rows) {
    CHECK_FALSE(cusum->baseline_ready());
    auto alerts = cusum->observe(row);
    REQUIRE(alerts);
    CHECK(alerts->empty());
  }
  REQUIRE(cusum->baseline_ready());
  CHECK(cusum->baseline_mean()[0] == doctest::Approx(2.5).epsilon(1e-15));
  // Sample variance of 1..4 is 5/3.
  CHECK(cusum->baseline_sigma()[0] == doctest::Approx(std::sqrt(5.0 / 3.0)).epsilon(1e-15));
  // A constant feature gets sigma = min_sigma, so a small move is a large shift.
  CHECK(cusum->baseline_sigma()[1] == config.min_sigma);
  auto alerts = cusum->observe(std::array<double, 2>{2.5, 10.001});
  REQUIRE(alerts);
  REQUIRE(alerts->size() == 1);
  CHECK((*alerts)[0].feature_index == 1);
  CHECK((*alerts)[0].direction == ShiftDirection::up);
  CHECK(std::isfinite((*alerts)[0].magnitude));
}

TEST_CASE("a learned baseline is within sampling error of the true one") {
  // 4000 draws of N(3, 2^2): the mean's standard error is 2 / sqrt(4000) = 0.032 and the
  // sd's is about 2 / sqrt(8000) = 0.022; accept 5 of each.
  PerFeatureCusumConfig config;
  config.warmup = 4000;
  auto cusum = PerFeatureCusum<1>::create(config);
  REQUIRE(cusum);
  Xoshiro256 rng(11);
  for (std::size_t i = 0; i < config.warmup; ++i) {
    REQUIRE(cusum->observe({3.0 + 2.0 * normal(rng)}));
  }
  REQUIRE(cusum->baseline_ready());
  CHECK(std::abs(cusum->engine().baseline_mean()[0] - 3.0) < 5 * 0.032);
  CHECK(std::abs(cusum->engine().baseline_sigma()[0] - 2.0) < 5 * 0.022);
}

TEST_CASE("restart_baseline forgets the baseline and learns a new one") {
  PerFeatureCusumConfig config;
  config.dimension = 1;
  config.warmup = 3;
  config.baseline_mean = {0.0};
  config.baseline_sigma = {1.0};
  auto cusum = PerFeatureCusumEngine::create(config);
  REQUIRE(cusum);
  REQUIRE(cusum->baseline_ready());
  REQUIRE(cusum->observe(std::array{2.0}));
  CHECK(cusum->upper_statistic()[0] == 1.5);
  cusum->restart_baseline();
  CHECK_FALSE(cusum->baseline_ready());
  CHECK(cusum->upper_statistic()[0] == 0.0);
  for (double x : {100.0, 101.0, 102.0}) REQUIRE(cusum->observe(std::array{x})->empty());
  REQUIRE(cusum->baseline_ready());
  CHECK(cusum->baseline_mean()[0] == 101.0);
  CHECK(cusum->baseline_sigma()[0] == 1.0);
  CHECK(cusum->observations() == 4);
}

TEST_CASE("non-finite or wrong-length input is an error and leaves the state unchanged") {
  auto cusum = PerFeatureCusumEngine::create(known_baseline_config());
  REQUIRE(cusum);
  std::vector<double> point(D, 0.7);
  REQUIRE(cusum->observe(point));
  const PerFeatureCusumSnapshot before = cusum->snapshot();

  point[3] = std::numeric_limits<double>::quiet_NaN();
  auto nan = cusum->observe(point);
  REQUIRE_FALSE(nan);
  CHECK(nan.error().code == ErrorCode::non_finite);
  CHECK(nan.error().field == "point[3]");
  point[3] = -std::numeric_limits<double>::infinity();
  auto inf = cusum->observe(point);
  REQUIRE_FALSE(inf);
  CHECK(inf.error().code == ErrorCode::non_finite);

  point.resize(D - 1, 0.0);
  auto short_point = cusum->observe(point);
  REQUIRE_FALSE(short_point);
  CHECK(short_point.error().code == ErrorCode::dimension_mismatch);
  CHECK(short_point.error().field == "point");
  CHECK(short_point.error().bound == "length must be 16 (got 15)");
  CHECK(cusum->snapshot() == before);
}

TEST_CASE("every invalid PerFeatureCusum config field is rejected by name") {
  struct Case {
    const char* field;
    void (*apply)(PerFeatureCusumConfig&);
  };
  const Case cases[] = {
      {"dimension", [](PerFeatureCusumConfig& c) { c.dimension = 0; }},
      {"dimension", [](PerFeatureCusumConfig& c) { c.dimension = 65537; }},
      {"slack", [](PerFeatureCusumConfig& c) { c.slack = -0.1; }},
      {"slack", [](PerFeatureCusumConfig& c) { c.slack = std::nan(""); }},
      {"threshold", [](PerFeatureCusumConfig& c) { c.threshold = 0.0; }},
      {"threshold", [](PerFeatureCusumConfig& c) { c.threshold = HUGE_VAL; }},
      {"warmup", [](PerFeatureCusumConfig& c) { c.warmup = 1; }},
      {"min_sigma", [](PerFeatureCusumConfig& c) { c.min_sigma = 0.0; }},
      {"baseline_sigma", [](PerFeatureCusumConfig& c) { c.baseline_mean = {0.0}; }},
      {"baseline_mean", [](PerFeatureCusumConfig& c) { c.baseline_sigma = {1.0}; }},
      {"baseline_mean",
       [](PerFeatureCusumConfig& c) {
         c.baseline_mean = {0.0, 0.0};
         c.baseline_sigma = {1.0};
       }},
      {"baseline_mean[0]",
       [](PerFeatureCusumConfig& c) {
         c.baseline_mean = {std::nan("")};
         c.baseline_sigma = {1.0};
       }},
      {"baseline_sigma[0]",
       [](PerFeatureCusumConfig& c) {
         c.baseline_mean = {0.0};
         c.baseline_sigma = {0.0};
       }},
  };
  for (const Case& c : cases) {
    PerFeatureCusumConfig config;
    c.apply(config);
    auto made = PerFeatureCusumEngine::create(config);
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::invalid_config);
    CHECK(made.error().field == c.field);
    CHECK_FALSE(made.error().bound.empty());
  }
  PerFeatureCusumConfig bad_threshold;
  bad_threshold.threshold = -1.0;
  CHECK(PerFeatureCusumEngine::create(bad_threshold).error().message() ==
        "invalid_config: threshold: must be in (0, 1000000] (got -1)");
}

TEST_CASE("a restored chart continues bit-for-bit like the original") {
  PerFeatureCusumConfig config;
  config.warmup = 50;
  for (const int split : {20, 300}) {  // inside the warm-up, and while monitoring
    auto original = PerFeatureCusum<D>::create(config);
    REQUIRE(original);
    Xoshiro256 rng(99);
    auto draw = [&rng](double shift) {
      PerFeatureCusum<D>::Point p;
      for (double& x : p) x = shift + normal(rng);
      return p;
    };
    for (int i = 0; i < split; ++i) REQUIRE(original->observe(draw(0.0)));
    const PerFeatureCusumSnapshot saved = original->snapshot();
    auto restored = PerFeatureCusum<D>::restore(saved);
    REQUIRE(restored);
    CHECK(restored->snapshot() == saved);
    std::size_t alerts_seen = 0;
    for (int i = 0; i < 400; ++i) {
      const auto p = draw(i < 200 ? 0.0 : 0.8);
      auto a = original->observe(p);
      auto b = restored->observe(p);
      REQUIRE(a);
      REQUIRE(b);
      REQUIRE(a->size() == b->size());
      for (std::size_t j = 0; j < a->size(); ++j) CHECK((*a)[j] == (*b)[j]);
      alerts_seen += a->size();
    }
    CHECK(alerts_seen > 0);  // the comparison covered alarms, not only quiet steps
    CHECK(original->snapshot() == restored->snapshot());
  }
}

TEST_CASE("restore rejects a snapshot that breaks its invariants") {
  auto cusum = PerFeatureCusumEngine::create(known_baseline_config());
  REQUIRE(cusum);
  REQUIRE(cusum->observe(std::vector<double>(D, 1.0)));
  const PerFeatureCusumSnapshot good = cusum->snapshot();
  REQUIRE(PerFeatureCusumEngine::restore(good));

  struct Case {
    const char* field;
    void (*corrupt)(PerFeatureCusumSnapshot&);
  };
  const Case cases[] = {
      {"config.threshold", [](PerFeatureCusumSnapshot& s) { s.config.threshold = 0.0; }},
      {"mean", [](PerFeatureCusumSnapshot& s) { s.mean.pop_back(); }},
      {"sigma", [](PerFeatureCusumSnapshot& s) { s.sigma[2] = std::nan(""); }},
      {"sigma[1]", [](PerFeatureCusumSnapshot& s) { s.sigma[1] = 0.0; }},
      {"upper[0]", [](PerFeatureCusumSnapshot& s) { s.upper[0] = 6.0; }},
      {"lower[0]", [](PerFeatureCusumSnapshot& s) { s.lower[0] = -1.0; }},
      {"upper_run[0]", [](PerFeatureCusumSnapshot& s) { s.upper_run[0] = 0; }},
      {"lower_run", [](PerFeatureCusumSnapshot& s) { s.lower_run.clear(); }},
      {"m2[0]", [](PerFeatureCusumSnapshot& s) { s.m2[0] = -1.0; }},
      {"observations", [](PerFeatureCusumSnapshot& s) { s.warmup_seen = 5; }},
      {"sigma[0]", [](PerFeatureCusumSnapshot& s) { s.baseline_ready = false; }},
  };
  for (const Case& c : cases) {
    PerFeatureCusumSnapshot bad = good;
    c.corrupt(bad);
    auto restored = PerFeatureCusumEngine::restore(bad);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
    CHECK(restored.error().field == c.field);
  }
  auto wrong_size = PerFeatureCusum<4>::restore(good);
  REQUIRE_FALSE(wrong_size);
  CHECK(wrong_size.error().code == ErrorCode::incompatible);
  CHECK(wrong_size.error().field == "config.dimension");
}
