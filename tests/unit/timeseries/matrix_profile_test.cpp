#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/timeseries/matrix_profile.hpp"
#include "matrix_profile_reference.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using anomstream::timeseries::MatrixProfile;
using anomstream::timeseries::MatrixProfileConfig;
using mp_test::DenseProfile;
using mp_test::INF;

namespace {

MatrixProfile compute(const std::vector<double>& x, std::size_t m) {
  auto mp = MatrixProfile::compute(x, MatrixProfileConfig{m});
  REQUIRE(mp.has_value());
  return std::move(*mp);
}

MatrixProfile compute_threaded(const std::vector<double>& x, std::size_t m, std::size_t threads) {
  mp_test::ThreadExecutor executor(threads);
  auto mp = MatrixProfile::compute(x, MatrixProfileConfig{m}, executor);
  REQUIRE(mp.has_value());
  return std::move(*mp);
}

std::vector<double> gaussian_noise(std::uint64_t seed, std::size_t n, double scale = 1.0) {
  Xoshiro256 rng(seed);
  std::vector<double> x(n);
  for (auto& v : x) {
    const double r = std::sqrt(-2.0 * std::log1p(-rng.uniform01()));
    v = scale * r * std::cos(2.0 * std::numbers::pi * rng.uniform01());
  }
  return x;
}

std::vector<double> random_walk(std::uint64_t seed, std::size_t n) {
  auto x = gaussian_noise(seed, n);
  for (std::size_t t = 1; t < n; ++t) {
    x[t] += x[t - 1];
  }
  return x;
}

// Brute-force agreement: every profile value within `tol` relative of the dense
// computation, and every reported index really at that distance. Near zero the
// Pearson form loses digits: d^2 = 2m(1 - rho), so an error e in rho moves d by
// m e / d, and by at most sqrt(2 m e) as d -> 0; with e = 1e-13 (a few hundred
// rounding steps along a diagonal) that term is added to the tolerance.
void check_against_dense(const std::vector<double>& x, std::size_t m, const MatrixProfile& mp,
                         double tol) {
  const DenseProfile dense(x, m);
  REQUIRE(mp.size() == dense.size());
  const auto& P = mp.profile();
  const double rho_error = 1e-13;
  const double md = static_cast<double>(m);
  auto near = [&](double got, double want) {
    if (std::isinf(want) || std::isinf(got)) {
      return got == want;
    }
    const double cancellation = std::min(md * rho_error / want, std::sqrt(2.0 * md * rho_error));
    return std::abs(got - want) <= tol * want + cancellation;
  };
  std::size_t bad = 0;
  for (std::size_t i = 0; i < mp.size(); ++i) {
    const double want = dense.profile(i);
    const double want_left = dense.left(i);
    const double want_right = dense.right(i);
    bool ok = near(P[i], want) && near(mp.left_profile()[i], want_left) &&
              near(mp.right_profile()[i], want_right);
    const std::int64_t I = mp.index()[i];
    const std::int64_t IL = mp.left_index()[i];
    const std::int64_t IR = mp.right_index()[i];
    if (std::isinf(want)) {
      ok = ok && I == -1;
    } else {
      ok = ok && I >= 0 && near(dense.distance(i, static_cast<std::size_t>(I)), want);
    }
    if (std::isinf(want_left)) {
      ok = ok && IL == -1;
    } else {
      ok = ok && IL >= 0 && static_cast<std::size_t>(IL) + mp.exclusion_zone() < i &&
           near(dense.distance(i, static_cast<std::size_t>(IL)), want_left);
    }
    if (std::isinf(want_right)) {
      ok = ok && IR == -1;
    } else {
      ok = ok && IR >= 0 && static_cast<std::size_t>(IR) > i + mp.exclusion_zone() &&
           near(dense.distance(i, static_cast<std::size_t>(IR)), want_right);
    }
    if (!ok && bad++ < 5) {
      MESSAGE("window " << i << ": P " << P[i] << " vs " << want << ", I " << I << ", left "
                        << mp.left_profile()[i] << " vs " << want_left << ", right "
                        << mp.right_profile()[i] << " vs " << want_right);
    }
  }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("matrix profile agrees with a brute-force computation on small random series") {
  // 1e-9 relative: the kernel's covariance drifts by a few ulps per step along a
  // diagonal, far below this for l <= 300.
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    Xoshiro256 rng(seed);
    const std::size_t n = 40 + rng() % 260;
    const std::size_t m = 3 + rng() % (n / 3);
    CAPTURE(seed);
    CAPTURE(n);
    CAPTURE(m);
    auto x = seed % 2 == 0 ? random_walk(seed, n) : gaussian_noise(seed, n, 3.0);
    check_against_dense(x, m, compute(x, m), 1e-9);
  }
}

TEST_CASE("brute-force agreement holds with NaN gaps, Inf and flat stretches") {
  for (std::uint64_t seed = 20; seed < 26; ++seed) {
    Xoshiro256 rng(seed);
    const std::size_t n = 120 + rng() % 200;
    const std::size_t m = 4 + rng() % 20;
    CAPTURE(seed);
    auto x = gaussian_noise(seed, n);
    // Two flat stretches (one at a level that is not exactly representable), a NaN gap
    // and an isolated infinity.
    for (std::size_t t = 10; t < 10 + 2 * m; ++t) {
      x[t] = 0.1;
    }
    for (std::size_t t = n / 2; t < n / 2 + m + 5; ++t) {
      x[t] = -4.0;
    }
    x[n / 3] = std::numeric_limits<double>::quiet_NaN();
    x[n / 3 + 1] = std::numeric_limits<double>::quiet_NaN();
    x[n - 7] = INF;
    check_against_dense(x, m, compute(x, m), 1e-9);
  }
}

TEST_CASE("a planted motif pair is the top motif") {
  // Noise with one random shape planted twice, far apart, at different offset and scale:
  // after z-normalisation the two copies are identical (distance ~0), while any two
  // noise windows of length 50 are ~sqrt(2 * 50) apart.
  const std::size_t n = 2000;
  const std::size_t m = 50;
  auto x = gaussian_noise(7, n);
  const auto shape = gaussian_noise(8, m);
  const std::size_t a = 300;
  const std::size_t b = 1400;
  for (std::size_t k = 0; k < m; ++k) {
    x[a + k] = shape[k];
    x[b + k] = 5.0 + 3.0 * shape[k];
  }
  const MatrixProfile mp = compute(x, m);
  auto motifs = mp.top_motifs(2);
  REQUIRE(motifs.has_value());
  REQUIRE(motifs->size() == 2);
  const auto& top = motifs->front();
  CHECK(std::min(top.index, top.neighbor) == a);
  CHECK(std::max(top.index, top.neighbor) == b);
  CHECK(top.distance < 1e-6);
  CHECK(mp.index()[a] == static_cast<std::int64_t>(b));
  CHECK(mp.index()[b] == static_cast<std::int64_t>(a));
  // The second motif must not reuse either planted window's neighbourhood.
  for (const std::size_t w : {motifs->at(1).index, motifs->at(1).neighbor}) {
    CHECK((w + mp.exclusion_zone() < a || w > a + mp.exclusion_zone()));
    CHECK((w + mp.exclusion_zone() < b || w > b + mp.exclusion_zone()));
  }
  CHECK(motifs->at(1).distance > 1.0);
}

TEST_CASE("a planted discord is the top discord and lifts the point scores") {
  // A clean sine with period 40 repeats every window almost exactly; a short spike
  // breaks the shape of every window that covers it.
  const std::size_t n = 3000;
  const std::size_t m = 40;
  auto x = gaussian_noise(11, n, 0.01);
  for (std::size_t t = 0; t < n; ++t) {
    x[t] += std::sin(2.0 * std::numbers::pi * static_cast<double>(t) / 40.0);
  }
  const std::size_t spike = 1777;
  x[spike] += 2.0;
  x[spike + 1] -= 1.5;
  const MatrixProfile mp = compute(x, m);
  auto discords = mp.top_discords(3, m);
  REQUIRE(discords.has_value());
  REQUIRE(discords->size() == 3);
  const auto& top = discords->front();
  CHECK(top.index + m > spike + 1);
  CHECK(top.index <= spike);
  CHECK(top.distance > 3.0 * discords->at(1).distance);
  for (std::size_t a = 0; a < discords->size(); ++a) {
    for (std::size_t b = a + 1; b < discords->size(); ++b) {
      const auto gap = discords->at(a).index > discords->at(b).index
                           ? discords->at(a).index - discords->at(b).index
                           : discords->at(b).index - discords->at(a).index;
      CHECK(gap > m);
    }
  }
  const auto scores = mp.point_scores();
  REQUIRE(scores.size() == n);
  const auto peak = std::max_element(scores.begin(), scores.end());
  CHECK(*peak == top.distance);
  CHECK(scores[spike] == top.distance);
  CHECK(scores[100] < 0.5 * top.distance);
}

TEST_CASE("profile is the minimum of the left and right profiles, with matching indices") {
  const auto x = random_walk(31, 1500);
  const MatrixProfile mp = compute(x, 24);
  const std::size_t excl = mp.exclusion_zone();
  CHECK(excl == 6);
  std::size_t left_only = 0;
  std::size_t right_only = 0;
  for (std::size_t i = 0; i < mp.size(); ++i) {
    const double left = mp.left_profile()[i];
    const double right = mp.right_profile()[i];
    CHECK(mp.profile()[i] == std::min(left, right));
    const std::int64_t I = mp.index()[i];
    CHECK((I == mp.left_index()[i] || I == mp.right_index()[i]));
    CHECK(mp.profile()[i] == (I == mp.left_index()[i] ? left : right));
    if (mp.left_index()[i] >= 0) {
      CHECK(static_cast<std::size_t>(mp.left_index()[i]) + excl < i);
    } else {
      CHECK(std::isinf(left));
      ++right_only;
    }
    if (mp.right_index()[i] >= 0) {
      CHECK(static_cast<std::size_t>(mp.right_index()[i]) > i + excl);
    } else {
      CHECK(std::isinf(right));
      ++left_only;
    }
  }
  // Only the first excl + 1 windows lack a left neighbour, the last excl + 1 a right one.
  CHECK(right_only == excl + 1);
  CHECK(left_only == excl + 1);
}

TEST_CASE("diagonals split over threads give bitwise the same profile") {
  auto x = random_walk(41, 6000);
  x[2500] = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t t = 4000; t < 4100; ++t) {
    x[t] = 2.0;
  }
  const MatrixProfile one = compute(x, 64);
  for (const std::size_t threads : {2U, 3U, 7U}) {
    CAPTURE(threads);
    const MatrixProfile many = compute_threaded(x, 64, threads);
    CHECK(many.profile() == one.profile());
    CHECK(many.left_profile() == one.left_profile());
    CHECK(many.right_profile() == one.right_profile());
    std::size_t index_differences = 0;
    for (std::size_t i = 0; i < one.size(); ++i) {
      index_differences += many.index()[i] != one.index()[i] ? 1 : 0;
    }
    // Differences are allowed only among exact ties, which here are the flat windows.
    std::size_t flat_windows = 0;
    const DenseProfile dense(x, 64);
    for (std::size_t i = 0; i < one.size(); ++i) {
      if (many.index()[i] != one.index()[i]) {
        ++flat_windows;
        CHECK(dense.distance(i, static_cast<std::size_t>(many.index()[i])) ==
              dense.distance(i, static_cast<std::size_t>(one.index()[i])));
      }
    }
    CHECK(flat_windows == index_differences);
  }
}

TEST_CASE("flat windows follow stumpy: 0 to another flat window, sqrt(m) to any other") {
  // 60 points at 3.0, then noise: windows inside the flat run are flat.
  const std::size_t m = 16;
  auto x = gaussian_noise(51, 300);
  for (std::size_t t = 0; t < 60; ++t) {
    x[t] = 3.0;
  }
  const MatrixProfile mp = compute(x, m);
  // Window 0 is flat and has flat neighbours beyond the exclusion zone (up to 44).
  CHECK(mp.profile()[0] == 0.0);
  CHECK(mp.index()[0] > static_cast<std::int64_t>(mp.exclusion_zone()));
  CHECK(mp.index()[0] <= 44);
  // A flat window whose only candidates are non-flat sits at sqrt(m) from all of them:
  // a series with a single flat window.
  auto y = gaussian_noise(52, 300);
  for (std::size_t t = 100; t < 100 + m; ++t) {
    y[t] = -1.0;
  }
  const MatrixProfile single = compute(y, m);
  CHECK(single.profile()[100] == std::sqrt(static_cast<double>(m)));
  CHECK(single.left_profile()[100] == std::sqrt(static_cast<double>(m)));
  CHECK(single.right_profile()[100] == std::sqrt(static_cast<double>(m)));
}

TEST_CASE("windows with NaN or Inf have an infinite profile and are nobody's neighbour") {
  auto x = gaussian_noise(61, 400);
  const std::size_t m = 10;
  x[200] = std::numeric_limits<double>::quiet_NaN();
  x[300] = -INF;
  const MatrixProfile mp = compute(x, m);
  for (std::size_t i = 0; i < mp.size(); ++i) {
    const bool touches = (i <= 200 && 200 < i + m) || (i <= 300 && 300 < i + m);
    CHECK(std::isinf(mp.profile()[i]) == touches);
    if (touches) {
      CHECK(mp.index()[i] == -1);
    } else {
      const auto j = static_cast<std::size_t>(mp.index()[i]);
      CHECK(!((j <= 200 && 200 < j + m) || (j <= 300 && 300 < j + m)));
    }
  }
  // A series with no finite window at all.
  const std::vector<double> all_nan(50, std::numeric_limits<double>::quiet_NaN());
  const MatrixProfile none = compute(all_nan, 5);
  CHECK(std::all_of(none.profile().begin(), none.profile().end(),
                    [](double p) { return std::isinf(p); }));
  auto discords = none.top_discords(1);
  REQUIRE(discords.has_value());
  CHECK(discords->empty());
  CHECK(none.point_scores() == std::vector<double>(50, 0.0));
}

TEST_CASE("point scores are the largest finite profile value over the covering windows") {
  auto x = gaussian_noise(71, 500);
  x[250] = std::numeric_limits<double>::quiet_NaN();
  const std::size_t m = 12;
  const MatrixProfile mp = compute(x, m);
  const auto scores = mp.point_scores();
  REQUIRE(scores.size() == x.size());
  for (std::size_t t = 0; t < x.size(); ++t) {
    double want = 0.0;
    const std::size_t lo = t + 1 >= m ? t + 1 - m : 0;
    for (std::size_t i = lo; i <= t && i < mp.size(); ++i) {
      if (std::isfinite(mp.profile()[i])) {
        want = std::max(want, mp.profile()[i]);
      }
    }
    CHECK(scores[t] == want);
  }
  // Point 250 is the NaN: every window over it is infinite, so its score is 0.
  CHECK(scores[250] == 0.0);
}

TEST_CASE("invalid windows, series and k are rejected with the bound") {
  const auto x = gaussian_noise(81, 100);
  auto too_small = MatrixProfile::compute(x, MatrixProfileConfig{2});
  REQUIRE_FALSE(too_small.has_value());
  CHECK(too_small.error().code == ErrorCode::invalid_config);
  CHECK(too_small.error().field == "window");
  CHECK(too_small.error().bound == "must be in [3, 100] (got 2)");
  auto too_large = MatrixProfile::compute(x, MatrixProfileConfig{101});
  REQUIRE_FALSE(too_large.has_value());
  CHECK(too_large.error().bound == "must be in [3, 100] (got 101)");
  CHECK(MatrixProfile::compute(x, MatrixProfileConfig{100}).has_value());

  auto short_series = MatrixProfile::compute(std::vector<double>{1.0, 2.0}, MatrixProfileConfig{3});
  REQUIRE_FALSE(short_series.has_value());
  CHECK(short_series.error().field == "series");

  auto huge = x;
  huge[17] = 1e101;
  auto rejected = MatrixProfile::compute(huge, MatrixProfileConfig{8});
  REQUIRE_FALSE(rejected.has_value());
  CHECK(rejected.error().code == ErrorCode::invalid_input);
  CHECK(rejected.error().field == "series[17]");

  const MatrixProfile mp = compute(x, 8);
  auto no_discords = mp.top_discords(0);
  REQUIRE_FALSE(no_discords.has_value());
  CHECK(no_discords.error().field == "k");
  CHECK_FALSE(mp.top_motifs(0).has_value());
}

TEST_CASE("a window as long as the series leaves every profile entry infinite") {
  // l = 1: no neighbour exists at all (stumpy warns and returns inf).
  const auto x = gaussian_noise(91, 30);
  const MatrixProfile mp = compute(x, 30);
  REQUIRE(mp.size() == 1);
  CHECK(std::isinf(mp.profile()[0]));
  CHECK(mp.index()[0] == -1);
  auto motifs = mp.top_motifs(1);
  REQUIRE(motifs.has_value());
  CHECK(motifs->empty());
}

TEST_CASE("long series with a large offset stay accurate along 20 000-step diagonals") {
  // A random walk around 1e6: without re-centring, the means' rounding (ulp(1e6) ~ 1e-10)
  // would enter every covariance update; with it, and with the covariances re-anchored
  // to exact dot products every max(4096, 64m) rows, sampled rows match a brute-force
  // nearest-neighbour search to 1e-9 relative (measured ~1e-12).
  const std::size_t n = 20000;
  const std::size_t m = 64;
  auto x = random_walk(101, n);
  for (auto& v : x) {
    v += 1e6;
  }
  const MatrixProfile mp = compute(x, m);
  const DenseProfile dense(x, m);
  Xoshiro256 pick(102);
  for (int sample = 0; sample < 12; ++sample) {
    const std::size_t i = pick() % mp.size();
    CAPTURE(i);
    const double want = dense.profile(i);
    CHECK(std::abs(mp.profile()[i] - want) <= 1e-9 * want);
    CHECK(std::abs(dense.distance(i, static_cast<std::size_t>(mp.index()[i])) - want) <=
          1e-9 * want);
  }
}
