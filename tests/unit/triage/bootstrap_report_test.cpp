#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/triage/bootstrap_report.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::triage::BootstrapReport;

namespace {

std::vector<double> normal_sample(Xoshiro256& rng, std::size_t n) {
  std::vector<double> values(n);
  for (double& v : values) {
    const double u1 = 1.0 - rng.uniform01(), u2 = rng.uniform01();
    v = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  return values;
}

// P(|T| <= c) for Student's t with k degrees of freedom, by Simpson's rule on the
// density over [0, c] (10 000 intervals: error far below 1e-9).
double t_central_probability(double c, double k) {
  const double norm = std::tgamma((k + 1) / 2) / (std::sqrt(k * std::numbers::pi) * std::tgamma(k / 2));
  auto density = [&](double t) { return norm * std::pow(1 + t * t / k, -(k + 1) / 2); };
  const int steps = 10000;
  const double h = c / steps;
  double sum = density(0) + density(c);
  for (int i = 1; i < steps; ++i) sum += density(i * h) * (i % 2 == 1 ? 4 : 2);
  return 2 * sum * h / 3;
}

}  // namespace

TEST_CASE("bootstrap interval covers the true mean of normal data as often as theory says") {
  // For a normal sample the percentile interval is about mean +/- z * s_n / sqrt(n) with
  // s_n the standard deviation with divisor n, so it covers the true mean with
  // probability P(|t_{n-1}| <= z sqrt((n - 1) / n)): 0.9419 for n = 50 at 95%.
  constexpr std::size_t N = 50;
  constexpr int TRIALS = 1000;
  const double expected = t_central_probability(1.959963984540054 * std::sqrt((N - 1.0) / N), N - 1.0);
  CHECK(expected == doctest::Approx(0.9419).epsilon(1e-3));
  auto report = BootstrapReport::create({.resamples = 1000, .confidence = 0.95, .seed = 11});
  REQUIRE(report);
  Xoshiro256 rng(12);
  int covered = 0;
  for (int trial = 0; trial < TRIALS; ++trial) {
    const auto interval = report->interval(normal_sample(rng, N));
    REQUIRE(interval);
    covered += interval->lower <= 0.0 && 0.0 <= interval->upper ? 1 : 0;
  }
  const double coverage = static_cast<double>(covered) / TRIALS;
  // Binomial(1000, 0.942): sd 0.0074, 4 sd = 0.030; 0.01 more for the percentile method's
  // O(1/n) departure from the normal-theory value and the quantiles' resampling noise
  // (1000 resamples). Measured 0.940.
  MESSAGE("coverage " << coverage << ", expected " << expected);
  CHECK(std::abs(coverage - expected) <= 4 * std::sqrt(expected * (1 - expected) / TRIALS) + 0.01);
}

TEST_CASE("bootstrap interval width shrinks like 1/sqrt(n)") {
  auto report = BootstrapReport::create({.resamples = 2000, .seed = 1});
  REQUIRE(report);
  Xoshiro256 rng(2);
  auto mean_width = [&](std::size_t n) {
    double total = 0;
    for (int trial = 0; trial < 20; ++trial) {
      const auto interval = *report->interval(normal_sample(rng, n));
      CHECK(interval.lower <= interval.mean);
      CHECK(interval.mean <= interval.upper);
      total += interval.upper - interval.lower;
    }
    return total / 20;
  };
  const double w100 = mean_width(100), w400 = mean_width(400);
  // Theory: 2 * 1.96 / sqrt(n) = 0.392 and 0.196; the ratio is 1/2. Over 20 trials each
  // width's mean has a relative sd of about 2%, so the ratio stays within 0.45 to 0.55.
  CHECK(w100 == doctest::Approx(0.392).epsilon(0.08));
  CHECK(w400 / w100 == doctest::Approx(0.5).epsilon(0.1));
}

TEST_CASE("bootstrap interval on samples whose resampling distribution is known exactly") {
  auto report = BootstrapReport::create({.resamples = 2000, .seed = 3});
  REQUIRE(report);
  // Constant data: every resample mean is the constant.
  const auto constant = *report->interval(std::vector<double>(10, 2.5));
  CHECK(constant.mean == 2.5);
  CHECK(constant.lower == 2.5);
  CHECK(constant.upper == 2.5);
  // {0, 1}: resample means are 0, 1/2, 1 with probabilities 1/4, 1/2, 1/4, so the 2.5%
  // and 97.5% quantiles of 2000 draws are 0 and 1 (P(fewer than 51 zeros) < 1e-90).
  const auto coin = *report->interval(std::vector<double>{0.0, 1.0});
  CHECK(coin.mean == 0.5);
  CHECK(coin.lower == 0.0);
  CHECK(coin.upper == 1.0);
  // {0, 0, 3}: a resample mean is the number of 3s drawn, Binomial(3, 1/3): 0, 1, 2, 3
  // with probabilities 8/27, 12/27, 6/27, 1/27 (cumulative 0.296, 0.741, 0.963, 1). A 60%
  // interval spans the 20% and 80% quantiles: 0 and 2, each at least 0.059 (19 sd of a
  // proportion over 20 000 draws) from a jump of the cumulative distribution.
  auto sixty = BootstrapReport::create({.resamples = 20000, .confidence = 0.6, .seed = 4});
  const auto three = *sixty->interval(std::vector<double>{0.0, 0.0, 3.0});
  CHECK(three.lower == 0.0);
  CHECK(three.upper == 2.0);
}

TEST_CASE("bootstrap rejects bad input and config; seeded and restorable") {
  auto report = BootstrapReport::create({.resamples = 100, .seed = 7});
  REQUIRE(report);
  const auto before = report->snapshot();
  CHECK(report->interval({}).error().code == ErrorCode::invalid_input);
  CHECK(report->interval(std::vector<double>{1.0, NAN}).error().code == ErrorCode::non_finite);
  CHECK(report->interval(std::vector<double>{1e200}).error().code == ErrorCode::invalid_input);
  CHECK(report->snapshot() == before);
  CHECK(BootstrapReport::create({.resamples = 5}).error().field == "resamples");
  CHECK(BootstrapReport::create({.confidence = 1.0}).error().field == "confidence");
  const std::vector<double> sample{1, 4, 2, 8, 5, 7};
  REQUIRE(report->interval(sample));
  auto copy = BootstrapReport::restore(report->snapshot());
  REQUIRE(copy);
  const auto a = *report->interval(sample);
  const auto b = *copy->interval(sample);
  CHECK(a.lower == b.lower);
  CHECK(a.upper == b.upper);
  auto same_seed = BootstrapReport::create({.resamples = 100, .seed = 7});
  CHECK(same_seed->interval(sample)->lower == BootstrapReport::create({.resamples = 100, .seed = 7})
                                                  ->interval(sample)->lower);
  auto zero = report->snapshot();
  zero.rng = {};
  CHECK(BootstrapReport::restore(zero).error().code == ErrorCode::corrupt_snapshot);
}
