#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/fisher_combine.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::drift::fisher_combine;
using anomstream::drift::fisher_combine_log;

namespace {

// Reference: ln of exp(-s) sum_{i<k} s^i / i! by a direct log-sum-exp over every term in
// long double, a different evaluation from the library's (mode-outward, Loader's pmf).
double reference_log_survival(const std::vector<double>& p) {
  long double s = 0;
  for (double v : p) s -= std::log(static_cast<long double>(v));
  const std::size_t k = p.size();
  std::vector<long double> logs(k);
  for (std::size_t i = 0; i < k; ++i) {
    const auto li = static_cast<long double>(i);
    logs[i] = -s + (i == 0 ? 0.0L : li * std::log(s)) - std::lgamma(li + 1.0L);
  }
  const long double top = *std::max_element(logs.begin(), logs.end());
  long double sum = 0;
  for (long double l : logs) sum += std::exp(l - top);
  return static_cast<double>(top + std::log(sum));
}

}  // namespace

TEST_CASE("fisher_combine of a single p-value is that p-value") {
  for (double p : {1.0, 0.5, 0.05, 1e-8, 1e-300}) {
    auto combined = fisher_combine(std::vector<double>{p});
    REQUIRE(combined);
    // exp(ln p) is p up to the rounding of the two functions.
    CHECK(*combined == doctest::Approx(p).epsilon(1e-14));
  }
}

TEST_CASE("fisher_combine of two p-values matches the closed form p1 p2 (1 - ln(p1 p2))") {
  const double pairs[][2] = {{0.5, 0.5}, {0.01, 0.9}, {1e-6, 0.3}, {1.0, 1.0}, {1e-200, 1e-100}};
  for (const auto& pair : pairs) {
    const double product = pair[0] * pair[1];
    const double expected = product * (1.0 - std::log(product));
    auto combined = fisher_combine(std::vector<double>{pair[0], pair[1]});
    REQUIRE(combined);
    CHECK(*combined == doctest::Approx(expected).epsilon(1e-13));
  }
}

TEST_CASE("fisher_combine of three p-values matches exp(-s)(1 + s + s^2/2)") {
  const std::vector<double> p{0.01, 0.2, 0.03};
  const double s = -(std::log(0.01) + std::log(0.2) + std::log(0.03));
  const double expected = std::exp(-s) * (1.0 + s + s * s / 2.0);
  CHECK(*fisher_combine(p) == doctest::Approx(expected).epsilon(1e-13));
}

TEST_CASE("fisher_combine reproduces chi-square table critical values") {
  // Upper 5% point of chi-square(10) is 18.307038 and upper 1% point of chi-square(20) is
  // 37.566235 (Abramowitz & Stegun table 26.8). Split X evenly over k = dof / 2 p-values.
  const std::vector<double> five(5, std::exp(-18.307038 / 10.0));
  CHECK(*fisher_combine(five) == doctest::Approx(0.05).epsilon(1e-6));
  const std::vector<double> ten(10, std::exp(-37.566235 / 20.0));
  CHECK(*fisher_combine(ten) == doctest::Approx(0.01).epsilon(1e-6));
}

TEST_CASE("fisher_combine stays accurate for large k where exp(-X/2) underflows") {
  // k = 10000 p-values of 1/e give s = k, and exp(-10000) underflows. Ramanujan:
  // P(Poisson(n) < n) = 1/2 - theta(n) P(Poisson(n) = n), theta(n) = 1/3 + 4/(135 n) +
  // O(n^-2), so the remaining error is below 1e-12 here.
  constexpr std::size_t K = 10000;
  const std::vector<double> p(K, std::exp(-1.0));
  const double n = K;
  const double pmf = std::exp(-n + n * std::log(n) - std::lgamma(n + 1.0));
  const double expected = 0.5 - (1.0 / 3.0 + 4.0 / (135.0 * n)) * pmf;
  auto combined = fisher_combine(p);
  REQUIRE(combined);
  CHECK(*combined == doctest::Approx(expected).epsilon(1e-10));
}

TEST_CASE("fisher_combine agrees with a direct long-double evaluation on random inputs") {
  Xoshiro256 rng(2718);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t k = 1 + rng.below(300);
    std::vector<double> p(k);
    // Mix of null-like and very small p-values so s ranges from below to far above k.
    const double scale = trial % 3 == 0 ? 1.0 : std::pow(10.0, -static_cast<double>(rng.below(30)));
    for (double& v : p) v = std::max(scale * (1.0 - rng.uniform01()), 1e-300);
    auto log_p = fisher_combine_log(p);
    REQUIRE(log_p);
    const double expected = reference_log_survival(p);
    // Both are logs: compare on the absolute scale near 0 and relative elsewhere.
    CHECK(std::abs(*log_p - expected) <= 1e-12 * std::max(1.0, std::abs(expected)));
  }
}

TEST_CASE("fisher_combine_log answers where the combined p-value underflows") {
  const std::vector<double> p(200, 1e-10);
  auto log_p = fisher_combine_log(p);
  REQUIRE(log_p);
  const double expected = reference_log_survival(p);
  CHECK(expected < -745.0);  // below the smallest subnormal
  CHECK(*log_p == doctest::Approx(expected).epsilon(1e-13));
  CHECK(*fisher_combine(p) == 0.0);
}

TEST_CASE("under the null the combined p-value is uniform") {
  // Kolmogorov-Smirnov: with n = 2000 draws the 0.1% critical value of sup |F_n - F| is
  // 1.95 / sqrt(n) = 0.0436. Inputs are U(0, 1] so they are valid p-values.
  constexpr int N = 2000;
  Xoshiro256 rng(31337);
  for (const std::size_t k : {2U, 5U, 50U}) {
    std::vector<double> combined(N);
    std::vector<double> p(k);
    for (double& c : combined) {
      for (double& v : p) v = 1.0 - rng.uniform01();
      c = *fisher_combine(p);
    }
    std::sort(combined.begin(), combined.end());
    double ks = 0;
    for (int i = 0; i < N; ++i) {
      ks = std::max({ks, (i + 1.0) / N - combined[i], combined[i] - static_cast<double>(i) / N});
    }
    MESSAGE("k = ", k, ": KS distance ", ks);
    CHECK(ks < 1.95 / std::sqrt(static_cast<double>(N)));
  }
}

TEST_CASE("a smaller input p-value never gives a larger combined p-value") {
  std::vector<double> p{0.4, 0.2, 0.7, 0.9};
  double previous = *fisher_combine(p);
  for (double v : {0.1, 0.01, 1e-4, 1e-8}) {
    p[1] = v;
    const double next = *fisher_combine(p);
    CHECK(next < previous);
    previous = next;
  }
  CHECK(*fisher_combine(std::vector<double>(7, 1.0)) == 1.0);
}

TEST_CASE("fisher_combine rejects an empty list and p-values outside (0, 1]") {
  auto empty = fisher_combine(std::vector<double>{});
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == ErrorCode::invalid_input);
  CHECK(empty.error().field == "p_values");

  struct Case {
    double p;
    ErrorCode code;
  };
  const Case cases[] = {
      {0.0, ErrorCode::invalid_input},
      {-0.1, ErrorCode::invalid_input},
      {1.5, ErrorCode::invalid_input},
      {std::numeric_limits<double>::quiet_NaN(), ErrorCode::non_finite},
      {std::numeric_limits<double>::infinity(), ErrorCode::non_finite},
  };
  for (const Case& c : cases) {
    auto result = fisher_combine(std::vector<double>{0.5, 0.5, c.p});
    REQUIRE_FALSE(result);
    CHECK(result.error().code == c.code);
    CHECK(result.error().field == "p_values[2]");
    CHECK_FALSE(fisher_combine_log(std::vector<double>{c.p}));
  }
  CHECK(fisher_combine(std::vector<double>{0.5, 0.0}).error().message() ==
        "invalid_input: p_values[1]: must be in (0, 1] (got 0)");
  // The smallest subnormal is a valid p-value.
  auto tiny = fisher_combine(std::vector<double>{std::numeric_limits<double>::denorm_min()});
  REQUIRE(tiny);
  CHECK(*tiny > 0.0);
  CHECK(*tiny < 1e-320);
}
