#include "anomstream/drift/fisher_combine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>

namespace anomstream::drift {
namespace {

// Relative size of the neglected series tail at which summation stops.
constexpr double TAIL_TOLERANCE = 1e-17;

// ln(n!) - ((n + 1/2) ln n - n + ln sqrt(2 pi)): the error of Stirling's formula.
double stirling_error(double n) {
  constexpr double LN_SQRT_2PI = 0.918938533204672741780329736406;
  if (n <= 15.0) {
    return std::lgamma(n + 1.0) - (n + 0.5) * std::log(n) + n - LN_SQRT_2PI;
  }
  // Asymptotic series 1/(12n) - 1/(360n^3) + 1/(1260n^5) - 1/(1680n^7) + 1/(1188n^9).
  const double nn = n * n;
  constexpr double S0 = 1.0 / 12, S1 = 1.0 / 360, S2 = 1.0 / 1260, S3 = 1.0 / 1680,
                   S4 = 1.0 / 1188;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

// x ln(x / mean) + mean - x without the cancellation of computing it directly when
// x is close to mean (Loader 2000, "Fast and accurate computation of binomial
// probabilities").
double deviance_term(double x, double mean) {
  if (std::abs(x - mean) < 0.1 * (x + mean)) {
    double v = (x - mean) / (x + mean);
    double sum = (x - mean) * v;
    double power = 2.0 * x * v;
    v *= v;
    for (int j = 1; j < 1000; ++j) {
      power *= v;
      const double next = sum + power / (2 * j + 1);
      if (next == sum) {
        return next;
      }
      sum = next;
    }
    return sum;
  }
  return x * std::log(x / mean) + mean - x;
}

// ln P(Poisson(mean) = m) for mean > 0.
double log_poisson_pmf(double m, double mean) {
  if (m == 0.0) {
    return -mean;
  }
  return -stirling_error(m) - deviance_term(m, mean) -
         0.5 * std::log(2.0 * std::numbers::pi * m);
}

// ln Q(k, s) = ln P(Poisson(s) < k) = ln [exp(-s) sum_{i<k} s^i / i!], for s >= 0, k >= 1.
// The terms are unimodal with the mode at floor(s); summing outward from the largest
// term m, every ratio between neighbours is at most 1, so nothing overflows.
double log_poisson_cdf_below(double s, std::uint64_t k) {
  if (s == 0.0) {
    return 0.0;
  }
  const auto top = static_cast<double>(k - 1);
  const double m = std::min(top, std::floor(s));
  double sum = 1.0;  // in units of the mode term
  // Downward: t_{i-1} = t_i * i / s. The rest of the tail after t_i is at most
  // t_i * i / (s - i), a geometric bound since the ratios keep falling.
  double term = 1.0;
  for (double i = m; i >= 1.0; i -= 1.0) {
    term *= i / s;
    sum += term;
    if (term * (i - 1.0) <= TAIL_TOLERANCE * sum * (s - i + 1.0)) {
      break;
    }
  }
  // Upward, only when the mode is below k - 1: t_{i+1} = t_i * s / (i + 1), with tail
  // after t_{i+1} at most t_{i+1} * s / (i + 2 - s).
  term = 1.0;
  for (double i = m; i < top; i += 1.0) {
    term *= s / (i + 1.0);
    sum += term;
    if (term * s <= TAIL_TOLERANCE * sum * (i + 2.0 - s)) {
      break;
    }
  }
  return std::min(0.0, log_poisson_pmf(m, s) + std::log(sum));
}

}  // namespace

Result<double> fisher_combine_log(std::span<const double> p_values) {
  if (p_values.empty()) {
    return fail(ErrorCode::invalid_input, "p_values", "must hold at least one p-value");
  }
  // s = X / 2 = -sum ln p, summed with Neumaier's compensation: for large k the
  // result's relative error is about k times that of s.
  double s = 0.0;
  double compensation = 0.0;
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    const double p = p_values[i];
    if (!std::isfinite(p)) {
      return fail(ErrorCode::non_finite, "p_values[" + std::to_string(i) + "]",
                  "must be finite");
    }
    if (!(p > 0.0 && p <= 1.0)) {
      return fail(ErrorCode::invalid_input, "p_values[" + std::to_string(i) + "]",
                  "must be in (0, 1] (got " + format_number(p) + ")");
    }
    const double term = -std::log(p);
    const double next = s + term;
    compensation += std::abs(s) >= std::abs(term) ? (s - next) + term : (term - next) + s;
    s = next;
  }
  return log_poisson_cdf_below(s + compensation, p_values.size());
}

Result<double> fisher_combine(std::span<const double> p_values) {
  auto log_p = fisher_combine_log(p_values);
  if (!log_p) {
    return log_p;
  }
  return std::exp(*log_p);
}

}  // namespace anomstream::drift
