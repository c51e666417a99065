#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/triage/platt_calibrator.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::triage::PlattCalibrator;
using anomstream::triage::PlattCalibratorConfig;

namespace {

PlattCalibrator make(const PlattCalibratorConfig& config = {}) {
  auto calibrator = PlattCalibrator::create(config);
  REQUIRE(calibrator);
  return *calibrator;
}

// The smoothed log-loss of Platt's method in long double, written the textbook way
// (log of the sigmoid, no stable rewriting): the reference the fit is checked against.
struct ReferenceLoss {
  std::vector<long double> s;
  std::vector<long double> t;

  ReferenceLoss(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
    long double np = 0, nn = 0;
    for (auto y : labels) (y != 0 ? np : nn) += 1;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      s.push_back(scores[i]);
      t.push_back(labels[i] ? (np + 1) / (np + 2) : 1 / (nn + 2));
    }
  }
  long double operator()(long double a, long double b) const {
    long double sum = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const long double p = 1 / (1 + std::exp(a * s[i] + b));
      sum -= t[i] * std::log(p) + (1 - t[i]) * std::log(1 - p);
    }
    return sum;
  }
};

// Minimises the reference loss: a coarse grid, then plain Newton steps with the
// derivatives taken by central differences in long double.
std::pair<long double, long double> reference_minimum(const ReferenceLoss& loss) {
  long double best_a = 0, best_b = 0, best = loss(0, 0);
  for (int i = -100; i <= 100; ++i) {
    for (int j = -100; j <= 100; ++j) {
      const long double a = i * 0.1L, b = j * 0.1L;
      if (const long double v = loss(a, b); v < best) best = v, best_a = a, best_b = b;
    }
  }
  const long double h = 1e-5L;
  for (int it = 0; it < 50; ++it) {
    const long double a = best_a, b = best_b;
    const long double ga = (loss(a + h, b) - loss(a - h, b)) / (2 * h);
    const long double gb = (loss(a, b + h) - loss(a, b - h)) / (2 * h);
    const long double haa = (loss(a + h, b) - 2 * loss(a, b) + loss(a - h, b)) / (h * h);
    const long double hbb = (loss(a, b + h) - 2 * loss(a, b) + loss(a, b - h)) / (h * h);
    const long double hab = (loss(a + h, b + h) - loss(a + h, b - h) - loss(a - h, b + h) +
                             loss(a - h, b - h)) / (4 * h * h);
    const long double det = haa * hbb - hab * hab;
    best_a = a - (hbb * ga - hab * gb) / det;
    best_b = b - (haa * gb - hab * ga) / det;
  }
  return {best_a, best_b};
}

// n scores from N(0, 1.5^2) labelled true with probability 1 / (1 + exp(a s + b)).
void logistic_stream(std::size_t n, double a, double b, std::uint64_t seed,
                     std::vector<double>& scores, std::vector<std::uint8_t>& labels) {
  Xoshiro256 rng(seed);
  for (std::size_t i = 0; i < n; ++i) {
    const double u1 = rng.uniform01(), u2 = rng.uniform01();
    const double s = 1.5 * std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2);
    scores.push_back(s);
    labels.push_back(rng.uniform01() < 1.0 / (1.0 + std::exp(a * s + b)) ? 1 : 0);
  }
}

}  // namespace

TEST_CASE("platt fit on two score levels reproduces the smoothed label rate at each level") {
  // Two levels and two parameters: the optimum makes p(s) equal the mean smoothed target
  // at each level. At s = -1: 2 positives, 6 negatives; at s = 1: 5 positives, 1 negative.
  // N+ = 7, N- = 7: t+ = 8/9, t- = 1/9.
  std::vector<double> scores;
  std::vector<std::uint8_t> labels;
  auto add = [&](double s, std::uint8_t y, int count) {
    for (int i = 0; i < count; ++i) scores.push_back(s), labels.push_back(y);
  };
  add(-1, 1, 2), add(-1, 0, 6), add(1, 1, 5), add(1, 0, 1);
  const double p_low = (2 * 8.0 / 9 + 6 * 1.0 / 9) / 8;  // 22/72
  const double p_high = (5 * 8.0 / 9 + 1 * 1.0 / 9) / 6;  // 41/54
  auto calibrator = make({.gradient_tolerance = 1e-10});
  auto report = calibrator.fit(scores, labels);
  REQUIRE(report);
  CHECK(report->converged);
  CHECK(*calibrator.probability(-1) == doctest::Approx(p_low).epsilon(1e-10));
  CHECK(*calibrator.probability(1) == doctest::Approx(p_high).epsilon(1e-10));
  // A = (logit(1 - p_high) - logit(1 - p_low)) / 2 in the 1 / (1 + e^f) parameterisation.
  const double f_low = std::log(1 / p_low - 1), f_high = std::log(1 / p_high - 1);
  CHECK(calibrator.a() == doctest::Approx((f_high - f_low) / 2).epsilon(1e-9));
  CHECK(calibrator.b() == doctest::Approx((f_high + f_low) / 2).epsilon(1e-9));
}

TEST_CASE("platt fit matches a long-double minimisation of the same smoothed log-loss") {
  // 300 overlapping scores from a logistic model with A = -2, B = 0.5.
  std::vector<double> scores;
  std::vector<std::uint8_t> labels;
  logistic_stream(300, -2.0, 0.5, 7, scores, labels);
  const ReferenceLoss loss(scores, labels);
  const auto [ra, rb] = reference_minimum(loss);
  auto calibrator = make();
  auto report = calibrator.fit(scores, labels);
  REQUIRE(report);
  CHECK(report->converged);
  CHECK(report->iterations < 20);
  MESSAGE("fit - reference: A " << calibrator.a() - static_cast<double>(ra) << ", B "
                                 << calibrator.b() - static_cast<double>(rb));
  // Stopping at |gradient| < 1e-5 over 300 points with Hessian entries of order 10-100
  // leaves the parameters within about 1e-6 of the optimum: measured 3e-9.
  CHECK(std::abs(calibrator.a() - static_cast<double>(ra)) < 1e-6);
  CHECK(std::abs(calibrator.b() - static_cast<double>(rb)) < 1e-6);
  CHECK(report->loss == doctest::Approx(static_cast<double>(loss(ra, rb))).epsilon(1e-12));
}

TEST_CASE("online updates on a long stream agree with the batch fit, whatever the score scale") {
  // The same labels on scores x (sd 1.5), 0.01 x and 100 + 7 x: the online steps run on
  // the standardised score, so the agreement does not depend on the detector's scale.
  std::vector<double> scores;
  std::vector<std::uint8_t> labels;
  logistic_stream(200000, -2.0, 0.5, 11, scores, labels);
  for (const auto& [scale, offset] : {std::pair{1.0, 0.0}, std::pair{0.01, 0.0}, std::pair{7.0, 100.0}}) {
    std::vector<double> shifted;
    for (double s : scores) shifted.push_back(offset + scale * s);
    auto batch = make();
    REQUIRE(batch.fit(shifted, labels));
    auto online = make();
    for (std::size_t i = 0; i < shifted.size(); ++i) REQUIRE(online.update(shifted[i], labels[i] != 0));
    double worst = 0;
    for (double s = -4; s <= 4; s += 0.05) {
      worst = std::max(worst, std::abs(*batch.probability(offset + scale * s) -
                                       *online.probability(offset + scale * s)));
    }
    CAPTURE(scale);
    MESSAGE("batch A=" << batch.a() << " B=" << batch.b() << "; online A=" << online.a()
                       << " B=" << online.b() << "; largest probability gap " << worst);
    // Measured at most 0.0028 over s in [-4, 4] (eight seeds, offset 100 and scale 7);
    // averaged SGD's error after n steps shrinks like 1/sqrt(n).
    CHECK(worst < 0.01);
    CHECK(online.positives() == batch.positives());
    // Raw-score A scales as 1 / scale.
    CHECK(online.a() * scale == doctest::Approx(batch.a() * scale).epsilon(0.05));
  }
}

TEST_CASE("separable labels give finite parameters and ordered probabilities") {
  std::vector<double> scores;
  std::vector<std::uint8_t> labels;
  for (int i = 0; i < 50; ++i) {
    scores.push_back(i * 0.1), labels.push_back(0);
    scores.push_back(10 + i * 0.1), labels.push_back(1);
  }
  auto calibrator = make();
  auto report = calibrator.fit(scores, labels);
  REQUIRE(report);
  CHECK(std::isfinite(calibrator.a()));
  CHECK(std::isfinite(calibrator.b()));
  CHECK(calibrator.a() < 0);
  CHECK(*calibrator.probability(0) < 0.05);
  CHECK(*calibrator.probability(15) > 0.95);
  // The smoothed targets bound the fitted probabilities away from 0 and 1 on the data.
  CHECK(*calibrator.probability(15) < 1.0);
  auto online = make();
  for (std::size_t i = 0; i < scores.size(); ++i) REQUIRE(online.update(scores[i], labels[i] != 0));
  CHECK(std::isfinite(online.a()));
  CHECK(*online.probability(15) > *online.probability(0));
}

TEST_CASE("platt rejects bad input and bad config, leaving the state unchanged") {
  auto calibrator = make();
  REQUIRE(calibrator.update(1.0, true));
  const auto before = calibrator.snapshot();
  CHECK(calibrator.update(std::nan(""), true).error().code == ErrorCode::non_finite);
  CHECK(calibrator.update(INFINITY, false).error().code == ErrorCode::non_finite);
  CHECK(calibrator.update(1e200, false).error().code == ErrorCode::invalid_input);
  const std::vector<double> scores{0.0, std::nan("")};
  const std::vector<std::uint8_t> labels{0, 1};
  CHECK(calibrator.fit(scores, labels).error().code == ErrorCode::non_finite);
  CHECK(calibrator.fit(scores, std::vector<std::uint8_t>{0}).error().code ==
        ErrorCode::dimension_mismatch);
  CHECK(calibrator.fit({}, {}).error().code == ErrorCode::invalid_input);
  CHECK(calibrator.fit(std::vector<double>{1.0}, std::vector<std::uint8_t>{2}).error().field ==
        "labels");
  CHECK(calibrator.snapshot() == before);
  CHECK(calibrator.probability(NAN).error().code == ErrorCode::non_finite);
  auto bad = PlattCalibrator::create({.learning_rate = 0});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "learning_rate");
  CHECK(PlattCalibrator::create({.max_iterations = 0}).error().field == "max_iterations");
  CHECK(PlattCalibrator::create({.decay_updates = 0.5}).error().field == "decay_updates");
}

TEST_CASE("platt snapshot and restore continue bit for bit; broken snapshots are refused") {
  std::vector<double> scores;
  std::vector<std::uint8_t> labels;
  logistic_stream(2000, -1.0, 0.0, 3, scores, labels);
  auto original = make();
  REQUIRE(original.fit(std::span(scores).first(1000), std::span(labels).first(1000)));
  for (std::size_t i = 1000; i < 1500; ++i) REQUIRE(original.update(scores[i], labels[i] != 0));
  auto copy = PlattCalibrator::restore(original.snapshot());
  REQUIRE(copy);
  for (std::size_t i = 1500; i < 2000; ++i) {
    REQUIRE(original.update(scores[i], labels[i] != 0));
    REQUIRE(copy->update(scores[i], labels[i] != 0));
  }
  CHECK(copy->snapshot() == original.snapshot());
  auto broken = original.snapshot();
  broken.a = NAN;
  CHECK(PlattCalibrator::restore(broken).error().code == ErrorCode::corrupt_snapshot);
  broken = original.snapshot();
  broken.averaged = broken.steps + 1;
  CHECK(PlattCalibrator::restore(broken).error().field == "averaged");
}
