#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "anomstream/core/random.hpp"

TEST_CASE("the engine is deterministic for a seed and continues from a copied state") {
  anomstream::Xoshiro256 a(42);
  anomstream::Xoshiro256 b(42);
  for (int i = 0; i < 100; ++i) REQUIRE(a() == b());
  anomstream::Xoshiro256 c(7);
  c.set_state(a.state());
  for (int i = 0; i < 100; ++i) CHECK(a() == c());
  anomstream::Xoshiro256 d(43);
  CHECK(anomstream::Xoshiro256(42)() != d());
}

TEST_CASE("uniform01 has the mean and variance of U(0,1)") {
  // 1e5 draws: the mean's standard error is sqrt(1/12/1e5) ~ 9.1e-4; accept 5 of them.
  anomstream::Xoshiro256 rng(1);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    sum_sq += u * u;
  }
  const double mean = sum / n;
  CHECK(std::abs(mean - 0.5) < 5 * 9.1e-4);
  CHECK(std::abs(sum_sq / n - mean * mean - 1.0 / 12) < 2e-3);
}

TEST_CASE("below(bound) stays in range and covers every value") {
  anomstream::Xoshiro256 rng(3);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const auto v = rng.below(7);
    REQUIRE(v < 7);
    ++seen[v];
  }
  // Each cell expects 1000 with sd ~ 30: accept +/- 5 sd.
  for (int count : seen) CHECK(std::abs(count - 1000) < 150);
}
