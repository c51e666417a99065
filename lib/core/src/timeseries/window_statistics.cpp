#include "window_statistics.hpp"

#include <cmath>
#include <limits>

namespace anomstream::timeseries::detail {

namespace {

// Windows between exact recomputations of the sliding mean and sum of squares.
constexpr std::size_t REFRESH = 64;
// A sliding standard deviation below this is recomputed exactly before the flat test.
constexpr double NEAR_FLAT_STDDEV = 1e-5;

struct Moments {
  double mean = 0.0;
  double m2 = 0.0;  // sum of squared deviations from the mean
};

Moments exact_moments(const double* x, std::size_t m) noexcept {
  double sum = 0.0;
  for (std::size_t k = 0; k < m; ++k) {
    sum += x[k];
  }
  const double mean = sum / static_cast<double>(m);
  double m2 = 0.0;
  for (std::size_t k = 0; k < m; ++k) {
    const double d = x[k] - mean;
    m2 += d * d;
  }
  return {mean, m2};
}

// Mean of the finite values (0 if none), with Neumaier's compensated sum.
double finite_mean(std::span<const double> series) noexcept {
  double sum = 0.0;
  double compensation = 0.0;
  std::size_t count = 0;
  for (const double x : series) {
    if (!std::isfinite(x)) {
      continue;
    }
    const double t = sum + x;
    compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
    ++count;
  }
  return count == 0 ? 0.0 : (sum + compensation) / static_cast<double>(count);
}

}  // namespace

WindowStatistics compute_window_statistics(std::span<const double> series, std::size_t window,
                                           std::size_t padding) {
  const std::size_t n = series.size();
  const std::size_t m = window;
  const std::size_t l = n - m + 1;
  const double md = static_cast<double>(m);
  const double near_flat_m2 = md * NEAR_FLAT_STDDEV * NEAR_FLAT_STDDEV;
  const double flat_m2 = md * FLAT_STDDEV * FLAT_STDDEV;
  const double nan = std::numeric_limits<double>::quiet_NaN();

  WindowStatistics s;
  s.window = m;
  s.count = l;
  s.values.resize(n);
  s.mean.resize(l);
  s.inv_norm.assign(l + padding, nan);
  s.df.assign(l + padding, 0.0);
  s.dg.assign(l + padding, 0.0);
  s.finite.assign(l, 0);
  s.constant.assign(l, 0);

  // Shift the series by its mean (z-normalised distances do not change): every rounding
  // error below scales with the magnitude of the values, and a large offset would
  // otherwise cost digits in the means and, through them, in every covariance update.
  const double reference = finite_mean(series);
  s.reference = reference;
  std::vector<std::uint8_t> bad(n);
  for (std::size_t t = 0; t < n; ++t) {
    const bool ok = std::isfinite(series[t]);
    bad[t] = ok ? 0 : 1;
    s.values[t] = ok ? series[t] - reference : 0.0;
  }
  const double* x = s.values.data();

  std::size_t bad_in_window = 0;
  for (std::size_t t = 0; t < m; ++t) {
    bad_in_window += bad[t];
  }
  Moments mo;
  for (std::size_t i = 0; i < l; ++i) {
    if (i > 0) {
      bad_in_window += bad[i + m - 1];
      bad_in_window -= bad[i - 1];
    }
    if (i % REFRESH == 0) {
      mo = exact_moments(x + i, m);
    } else {
      // Welford's sliding update (the form stumpy's _welford_nanvar uses).
      const double x_new = x[i + m - 1];
      const double x_old = x[i - 1];
      const double mean = mo.mean + (x_new - x_old) / md;
      mo.m2 += (x_new - x_old) * (x_new - mean + x_old - mo.mean);
      mo.mean = mean;
      if (mo.m2 < near_flat_m2) {
        mo = exact_moments(x + i, m);
      }
    }
    s.mean[i] = mo.mean;
    const bool finite = bad_in_window == 0;
    const bool flat = finite && mo.m2 < flat_m2;
    s.finite[i] = finite ? 1 : 0;
    s.constant[i] = flat ? 1 : 0;
    if (finite && !flat) {
      s.inv_norm[i] = 1.0 / std::sqrt(mo.m2);
    }
  }
  for (std::size_t i = 1; i < l; ++i) {
    const double x_new = x[i + m - 1];
    const double x_old = x[i - 1];
    s.df[i] = (x_new - x_old) * 0.5;
    s.dg[i] = (x_new - s.mean[i]) + (x_old - s.mean[i - 1]);
  }
  return s;
}

double centred_dot(const WindowStatistics& stats, std::size_t a, std::size_t b) noexcept {
  const double* xa = stats.values.data() + a;
  const double* xb = stats.values.data() + b;
  const double ma = stats.mean[a];
  const double mb = stats.mean[b];
  double sum = 0.0;
  for (std::size_t k = 0; k < stats.window; ++k) {
    sum += (xa[k] - ma) * (xb[k] - mb);
  }
  return sum;
}

}  // namespace anomstream::timeseries::detail
