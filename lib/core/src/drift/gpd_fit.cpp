#include "anomstream/drift/gpd_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace anomstream::drift {
namespace {

// libspot's Brent settings: both the relative term and the absolute tolerance use 2e-8.
constexpr double LIBSPOT_BRENT_EPSILON = 2e-8;
constexpr int BRENT_MAX_ITERATIONS = 200;
// The original SPOT code: 10 regular starting points per bracket, epsilon 1e-8.
constexpr int SPOT_PAPER_GRID_POINTS = 10;
constexpr double SPOT_PAPER_EPSILON = 1e-8;
// Rounding level of w: (sum 1/s / n)(1 + sum ln s / n) - 1 cancels to about 1e-16.
constexpr double W_ROUNDING = 8.0 * std::numeric_limits<double>::epsilon();

struct Root {
  double t = 0.0;
  bool found = false;
};

bool same_strict_sign(double a, double b) noexcept {
  return (a > 0.0 && b > 0.0) || (a < 0.0 && b < 0.0);
}

// Brent's root finder (inverse quadratic interpolation guarded by bisection) in the
// formulation of Numerical Recipes' zbrent, which libspot uses: convergence when half
// the bracket is within 2 rel_eps |b| + tol / 2. Not found when f(lo) and f(hi) have
// the same strict sign or after BRENT_MAX_ITERATIONS.
template <class F>
Root brent_root(const F& f, double lo, double hi, double rel_eps, double tol) noexcept {
  double a = lo;
  double b = hi;
  double c = hi;
  double d = 0.0;
  double e = 0.0;
  double fa = f(a);
  double fb = f(b);
  if (same_strict_sign(fa, fb)) return {};
  double fc = fb;
  for (int iter = 0; iter < BRENT_MAX_ITERATIONS; ++iter) {
    if (same_strict_sign(fb, fc)) {
      c = a;
      fc = fa;
      e = d = b - a;
    }
    if (std::abs(fc) < std::abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const double tol1 = 2.0 * rel_eps * std::abs(b) + 0.5 * tol;
    const double xm = 0.5 * (c - b);
    if (std::abs(xm) <= tol1 || fb == 0.0) return {b, true};
    if (std::abs(e) >= tol1 && std::abs(fa) > std::abs(fb)) {
      const double s = fb / fa;
      double p = 0.0;
      double q = 0.0;
      if (a == c) {
        p = 2.0 * xm * s;
        q = 1.0 - s;
      } else {
        const double qa = fa / fc;
        const double r = fb / fc;
        p = s * (2.0 * xm * qa * (qa - r) - (b - a) * (r - 1.0));
        q = (qa - 1.0) * (r - 1.0) * (s - 1.0);
      }
      if (p > 0.0) q = -q;
      p = std::abs(p);
      const double min1 = 3.0 * xm * q - std::abs(tol1 * q);
      const double min2 = std::abs(e * q);
      if (2.0 * p < std::min(min1, min2)) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += std::abs(d) > tol1 ? d : (xm >= 0.0 ? std::abs(tol1) : -std::abs(tol1));
    fb = f(b);
  }
  return {};
}

double mean_of(std::span<const double> y, const ExcessSums& sums) noexcept {
  return sums.sum / static_cast<double>(y.size());
}

// Grimshaw's w(t); zero at the stationary points of the profile likelihood.
double grimshaw_w(std::span<const double> y, double t) noexcept {
  double inverse_sum = 0.0;
  double log_sum = 0.0;
  for (double v : y) {
    const double s = 1.0 + t * v;
    inverse_sum += 1.0 / s;
    log_sum += std::log(s);
  }
  const double n = static_cast<double>(y.size());
  return (inverse_sum / n) * (1.0 + log_sum / n) - 1.0;
}

// gamma(t) = 1/n sum ln(1 + t Y_i).
double grimshaw_gamma(std::span<const double> y, double t) noexcept {
  double log_sum = 0.0;
  for (double v : y) log_sum += std::log(1.0 + t * v);
  return (1.0 + log_sum / static_cast<double>(y.size())) - 1.0;
}

GpdFit grimshaw_candidate(std::span<const double> y, const ExcessSums& sums, double t) noexcept {
  GpdFit fit;
  if (t == 0.0) {
    fit.gamma = 0.0;
    fit.sigma = mean_of(y, sums);
  } else {
    fit.gamma = grimshaw_gamma(y, t);
    fit.sigma = fit.gamma / t;
  }
  fit.log_likelihood = gpd_log_likelihood(y, fit.gamma, fit.sigma, sums.sum);
  return fit;
}

GpdFit fit_moments(std::span<const double> y, const ExcessSums& sums) noexcept {
  const double n = static_cast<double>(y.size());
  const double mean = sums.sum / n;
  const double var = sums.sum_squares / n - mean * mean;
  const double ratio = mean * mean / var;
  GpdFit fit;
  fit.gamma = 0.5 * (1.0 - ratio);
  fit.sigma = 0.5 * mean * (1.0 + ratio);
  fit.log_likelihood = gpd_log_likelihood(y, fit.gamma, fit.sigma, sums.sum);
  return fit;
}

GpdFit fit_grimshaw_libspot(std::span<const double> y, const ExcessSums& sums) noexcept {
  const auto w = [y](double t) { return grimshaw_w(y, t); };
  const double mean = mean_of(y, sums);
  const double eps = std::min(LIBSPOT_BRENT_EPSILON, 0.5 / sums.max);
  const Root left = brent_root(w, -1.0 / sums.max + eps, -eps, LIBSPOT_BRENT_EPSILON,
                               LIBSPOT_BRENT_EPSILON);
  const Root right = brent_root(w, eps, 2.0 * (mean - sums.min) / (sums.min * sums.min),
                                LIBSPOT_BRENT_EPSILON, LIBSPOT_BRENT_EPSILON);
  GpdFit best = grimshaw_candidate(y, sums, 0.0);
  for (const Root& root : {left, right}) {
    if (!root.found) continue;
    const GpdFit fit = grimshaw_candidate(y, sums, root.t);
    if (fit.log_likelihood > best.log_likelihood) best = fit;
  }
  return best;
}

// The reference's likelihood of a root candidate: -n ln sigma - (1 + 1/gamma) sum ln(1 + t Y).
GpdFit spot_paper_candidate(std::span<const double> y, double t) noexcept {
  GpdFit fit;
  fit.gamma = grimshaw_gamma(y, t);
  fit.sigma = fit.gamma / t;
  const double tau = fit.gamma / fit.sigma;
  double log_sum = 0.0;
  for (double v : y) log_sum += std::log(1.0 + tau * v);
  fit.log_likelihood =
      -static_cast<double>(y.size()) * std::log(fit.sigma) - (1.0 + 1.0 / fit.gamma) * log_sum;
  return fit;
}

// Roots of w in [lo, hi] as the reference finds them: it minimises sum w(t_k)^2 from
// 10 regular starting points with L-BFGS-B. Here every sign change between
// consecutive grid points (bracket ends included) is refined to machine precision by
// Brent's method. Near the trivial root t = 0, w(t) ~ t^2 (var - mean^2) / 2 drowns in
// rounding (w(-1e-8) evaluates to 0 or noise), which would hide a root between the last
// starting point and -eps; where |w| is at the rounding level the expansion supplies
// its sign.
template <class Visit>
void spot_paper_roots(std::span<const double> y, const ExcessSums& sums, double lo, double hi,
                      const Visit& visit) noexcept {
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi)) return;
  const double n = static_cast<double>(y.size());
  const double mean = sums.sum / n;
  const double curvature = 0.5 * (sums.sum_squares / n - 2.0 * mean * mean);
  const auto w = [y, curvature](double t) {
    const double raw = grimshaw_w(y, t);
    return std::abs(raw) > W_ROUNDING ? raw : t * t * curvature;
  };
  const double step = (hi - lo) / (SPOT_PAPER_GRID_POINTS + 1);
  double prev_t = lo;
  double prev_w = w(lo);
  for (int k = 1; k <= SPOT_PAPER_GRID_POINTS + 1; ++k) {
    const double t = k <= SPOT_PAPER_GRID_POINTS ? lo + k * step : hi;
    const double wt = w(t);
    if (same_strict_sign(prev_w, -wt)) {
      const Root root = brent_root(w, prev_t, t, std::numeric_limits<double>::epsilon(), 0.0);
      if (root.found) visit(root.t);
    }
    if (wt != 0.0) {
      prev_t = t;
      prev_w = wt;
    }
  }
}

}  // namespace

double gpd_log_likelihood(std::span<const double> y, double gamma, double sigma,
                          double sum) noexcept {
  const double n = static_cast<double>(y.size());
  if (gamma == 0.0) return -n * std::log(sigma) - sum / sigma;
  double r = -n * std::log(sigma);
  const double c = 1.0 + 1.0 / gamma;
  const double x = gamma / sigma;
  for (double v : y) r += -c * std::log(1.0 + x * v);
  return r;
}

double gpd_excess_quantile(double gamma, double sigma, double ratio) noexcept {
  if (gamma == 0.0) return -sigma * std::log(ratio);
  return (sigma / gamma) * (std::pow(ratio, -gamma) - 1.0);
}

GpdFit fit_gpd_libspot(std::span<const double> y, const ExcessSums& sums) noexcept {
  if (y.empty()) return {0.0, 0.0, std::numeric_limits<double>::quiet_NaN()};
  const GpdFit moments = fit_moments(y, sums);
  const GpdFit grimshaw = fit_grimshaw_libspot(y, sums);
  if (std::isnan(moments.log_likelihood) || grimshaw.log_likelihood > moments.log_likelihood) {
    return grimshaw;
  }
  return moments;
}

GpdFit fit_gpd_spot_paper(std::span<const double> y, const ExcessSums& sums) noexcept {
  if (y.empty()) return {0.0, 0.0, std::numeric_limits<double>::quiet_NaN()};
  const double n = static_cast<double>(y.size());
  const double mean = sums.sum / n;
  double eps = SPOT_PAPER_EPSILON;
  double a = -1.0 / sums.max;
  if (std::abs(a) < 2.0 * eps) eps = std::abs(a) / SPOT_PAPER_GRID_POINTS;
  a += eps;
  GpdFit best{0.0, mean, n * (1.0 + std::log(mean))};
  const auto consider = [&](double t) {
    const GpdFit fit = spot_paper_candidate(y, t);
    if (fit.log_likelihood > best.log_likelihood) best = fit;
  };
  spot_paper_roots(y, sums, a + eps, -eps, consider);
  spot_paper_roots(y, sums, 2.0 * (mean - sums.min) / (mean * sums.min),
                   2.0 * (mean - sums.min) / (sums.min * sums.min), consider);
  // Where w is flat near 0 the reference's optimiser drifts its last starting point
  // towards t = 0 without a root: the limit, scored with the true likelihood.
  consider(-eps);
  return best;
}

GpdFit fit_gpd_libspot1(std::span<const double> y) noexcept {
  double sum = 0.0;
  for (double e : y) sum += e;
  const double n = static_cast<double>(y.size());
  const double sigma = sum / n;
  const double log_likelihood = n * (1.0 + std::log(sigma));
  if (!(log_likelihood > -std::numeric_limits<double>::infinity())) {
    return {0.0, 0.0, -std::numeric_limits<double>::infinity()};
  }
  return {0.0, sigma, log_likelihood};
}

}  // namespace anomstream::drift
