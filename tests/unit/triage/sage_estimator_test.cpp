#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/triage/sage_estimator.hpp"

using anomstream::ErrorCode;
using anomstream::triage::SageEstimator;
using anomstream::triage::SageEstimatorConfig;
using anomstream::triage::SageModel;

namespace {

// A model with interactions and a nonlinearity in up to 5 features.
double model_fn(std::span<const double> x) {
  double v = x[0] + 2.0 * x[1] * x[2] + std::sin(x[3 % x.size()]);
  if (x.size() > 4) v += 0.5 * x[4] * x[4] - x[0] * x[4];
  return v;
}

std::vector<double> rows(std::size_t n, std::size_t d, std::uint64_t seed) {
  anomstream::Xoshiro256 rng(seed);
  std::vector<double> values(n * d);
  for (double& v : values) v = 4.0 * rng.uniform01() - 2.0;
  return values;
}

// The SAGE game computed directly: v(S) = mean over data rows of
// (f_empty - y)^2 - (f_S(x) - y)^2, with f_S the mean over background rows of f with
// the features outside S taken from the background row.
double game_value(unsigned subset, std::size_t d, const std::vector<double>& data,
                  const std::vector<double>& targets, const std::vector<double>& background) {
  const std::size_t n = data.size() / d, m = background.size() / d;
  double f_empty = 0;
  for (std::size_t b = 0; b < m; ++b) f_empty += model_fn(std::span(background).subspan(b * d, d)) / m;
  double total = 0;
  std::vector<double> z(d);
  for (std::size_t i = 0; i < n; ++i) {
    const double y = targets.empty() ? model_fn(std::span(data).subspan(i * d, d)) : targets[i];
    double f_s = 0;
    for (std::size_t b = 0; b < m; ++b) {
      for (std::size_t j = 0; j < d; ++j) z[j] = (subset >> j & 1U) ? data[i * d + j] : background[b * d + j];
      f_s += model_fn(z) / m;
    }
    total += (f_empty - y) * (f_empty - y) - (f_s - y) * (f_s - y);
  }
  return total / n;
}

// Exact Shapley values by enumerating all 2^D coalitions.
std::vector<double> exact_shapley(std::size_t d, const std::vector<double>& data,
                                  const std::vector<double>& targets, const std::vector<double>& background) {
  std::vector<double> v(std::size_t{1} << d);
  for (unsigned s = 0; s < v.size(); ++s) v[s] = game_value(s, d, data, targets, background);
  auto factorial = [](std::size_t k) { return std::tgamma(static_cast<double>(k) + 1); };
  std::vector<double> phi(d, 0.0);
  for (std::size_t j = 0; j < d; ++j) {
    for (unsigned s = 0; s < v.size(); ++s) {
      if (s >> j & 1U) continue;
      const auto size = static_cast<std::size_t>(std::popcount(s));
      const double weight = factorial(size) * factorial(d - size - 1) / factorial(d);
      phi[j] += weight * (v[s | (1U << j)] - v[s]);
    }
  }
  return phi;
}

}  // namespace

TEST_CASE("sage estimates match exact Shapley values of the same game within their standard errors") {
  for (const std::size_t d : {3, 5}) {
    const auto data = rows(12, d, 1);
    const auto background = rows(8, d, 2);
    for (const bool with_targets : {false, true}) {
      std::vector<double> targets;
      if (with_targets) {
        anomstream::Xoshiro256 rng(3);
        for (std::size_t i = 0; i < 12; ++i) {
          targets.push_back(model_fn(std::span(data).subspan(i * d, d)) + rng.uniform01() - 0.5);
        }
      }
      const auto exact = exact_shapley(d, data, targets, background);
      auto estimator = SageEstimator::create({.dimension = d, .convergence_ratio = 1e-9,
                                              .max_permutations = 20000, .seed = 5});
      REQUIRE(estimator);
      auto report = estimator->run(model_fn, data, targets, background);
      REQUIRE(report);
      CHECK(report->permutations == 20000);
      CAPTURE(d);
      CAPTURE(with_targets);
      // The estimator is unbiased and its mean of 20 000 credits is close to normal: each
      // estimate within 4 standard errors of the exact value (a false failure about once
      // in 16 000 per feature).
      for (std::size_t j = 0; j < d; ++j) {
        CAPTURE(j);
        CHECK(std::abs(report->values[j] - exact[j]) <= 4 * report->std_errors[j]);
        CHECK(report->std_errors[j] < 0.05 * (std::abs(exact[j]) + 0.1));
      }
      // Efficiency: the exact values add up to v(all) - v(empty).
      double sum = 0;
      for (double p : exact) sum += p;
      CHECK(sum == doctest::Approx(game_value((1U << d) - 1, d, data, targets, background) -
                                   game_value(0, d, data, targets, background)));
    }
  }
}

TEST_CASE("sage stops when the largest standard error is a small part of the estimates' range") {
  const std::size_t d = 4;
  const auto data = rows(30, d, 4);
  const auto background = rows(10, d, 5);
  auto estimator = SageEstimator::create({.dimension = d, .convergence_ratio = 0.05,
                                          .max_permutations = 100000, .seed = 9});
  REQUIRE(estimator);
  auto report = estimator->run(model_fn, data, {}, background);
  REQUIRE(report);
  CHECK(report->converged);
  CHECK(report->permutations < 100000);
  double lo = 1e300, hi = -1e300, worst = 0;
  for (std::size_t j = 0; j < d; ++j) {
    lo = std::min(lo, report->values[j]);
    hi = std::max(hi, report->values[j]);
    worst = std::max(worst, report->std_errors[j]);
  }
  CHECK(worst <= 0.05 * (hi - lo));
  // A feature the model ignores gets exactly zero credit in every permutation.
  const SageModel ignores_last = [](std::span<const double> x) { return x[0] * x[1] + x[2]; };
  auto other = SageEstimator::create({.dimension = d, .seed = 1});
  auto zero = other->run(ignores_last, data, {}, background);
  REQUIRE(zero);
  CHECK(zero->values[3] == 0.0);
  CHECK(zero->std_errors[3] == 0.0);
}

TEST_CASE("sage rejects bad input and config, and resumes bit for bit from a snapshot") {
  auto estimator = SageEstimator::create({.dimension = 3, .convergence_ratio = 1e-9, .max_permutations = 50});
  REQUIRE(estimator);
  const auto data = rows(5, 3, 1), background = rows(4, 3, 2);
  CHECK(estimator->run(model_fn, std::vector<double>(7, 0.0), {}, background).error().field == "data");
  CHECK(estimator->run(model_fn, data, {}, {}).error().field == "background");
  CHECK(estimator->run(model_fn, data, std::vector<double>(4, 0.0), background).error().field == "targets");
  auto bad = data;
  bad[2] = NAN;
  CHECK(estimator->run(model_fn, bad, {}, background).error().code == ErrorCode::non_finite);
  const SageModel broken = [](std::span<const double> x) { return x[0] > 1.9 ? NAN : x[0]; };
  auto nan_model = estimator->run(broken, std::vector<double>{1.95, 0, 0}, {}, background);
  CHECK(nan_model.error().field == "model output");
  CHECK(estimator->report().permutations == 0);
  CHECK(SageEstimator::create({.dimension = 0}).error().field == "dimension");
  CHECK(SageEstimator::create({.convergence_ratio = 0}).error().field == "convergence_ratio");
  CHECK(SageEstimator::create({.min_permutations = 1}).error().field == "min_permutations");

  auto first = SageEstimator::create({.dimension = 3, .convergence_ratio = 1e-9, .max_permutations = 40, .seed = 3});
  REQUIRE(first->run(model_fn, data, {}, background));
  auto snapshot = first->snapshot();
  snapshot.config.max_permutations = 80;
  auto resumed = SageEstimator::restore(snapshot);
  REQUIRE(resumed);
  auto whole = SageEstimator::create({.dimension = 3, .convergence_ratio = 1e-9, .max_permutations = 80, .seed = 3});
  const auto a = resumed->run(model_fn, data, {}, background);
  const auto b = whole->run(model_fn, data, {}, background);
  CHECK(a->values == b->values);
  CHECK(a->std_errors == b->std_errors);
  auto corrupt = first->snapshot();
  corrupt.m2[1] = -1;
  CHECK(SageEstimator::restore(corrupt).error().code == ErrorCode::corrupt_snapshot);
  corrupt = first->snapshot();
  corrupt.means.pop_back();
  CHECK(SageEstimator::restore(corrupt).error().code == ErrorCode::corrupt_snapshot);
}
