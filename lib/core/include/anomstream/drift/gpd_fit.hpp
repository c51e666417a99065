#pragma once
// Generalised Pareto (GPD) fits of peaks-over-threshold excesses, used by PotDetector.
//
// The GPD tail P(Y > y) = (1 + gamma y / sigma)^(-1/gamma) (exponential when gamma = 0)
// is fitted to excesses Y_i > 0 by
//  - the method of moments: gamma = (1 - m^2/v)/2, sigma = m (1 + m^2/v)/2;
//  - Grimshaw's reduction of the likelihood equations to one variable
//    (Grimshaw 1993, as used by Siffer et al., KDD 2017): the roots t of
//    w(t) = (1/n sum 1/(1 + t Y_i)) (1 + 1/n sum ln(1 + t Y_i)) - 1 give candidates
//    gamma = 1/n sum ln(1 + t Y_i), sigma = gamma / t, and t = 0 the exponential fit
//    sigma = mean; the candidate of largest likelihood wins.
// Every fit is O(n) per evaluation of w; Brent's method needs tens of evaluations.
// None allocates; degenerate inputs (empty, zero variance, zero minimum) give
// non-finite parameters or likelihoods, never a crash, and callers check the result.

#include <cstddef>
#include <span>

namespace anomstream::drift {

struct GpdFit {
  double gamma = 0.0;
  double sigma = 0.0;
  double log_likelihood = 0.0;
};

// Running sums of a set of excesses.
struct ExcessSums {
  double sum = 0.0;
  double sum_squares = 0.0;
  double min = 0.0;
  double max = 0.0;
};

// Log-likelihood of the excesses under GPD(gamma, sigma); `sum` is their sum (used when
// gamma == 0, as libspot does).
[[nodiscard]] double gpd_log_likelihood(std::span<const double> excesses, double gamma,
                                        double sigma, double sum) noexcept;

// Excess over the peaks threshold exceeded with probability `ratio` = q n / Nt:
// (sigma/gamma) (ratio^-gamma - 1), or -sigma ln(ratio) when gamma == 0.
[[nodiscard]] double gpd_excess_quantile(double gamma, double sigma, double ratio) noexcept;

// libspot 2's tail fit: the method of moments and Grimshaw's method (roots found by
// Brent's method with tolerance 2e-8 on [-1/max + eps, -eps] and
// [eps, 2 (mean - min) / min^2], eps = min(2e-8, 0.5 / max), plus t = 0), keeping the
// larger likelihood; a NaN likelihood of the moments fit never wins.
[[nodiscard]] GpdFit fit_gpd_libspot(std::span<const double> excesses, const ExcessSums& sums) noexcept;

// The original SPOT code's fit: Grimshaw's method on the brackets
// [-1/max + 2 eps, -eps] and [2 (mean - min) / (mean min), 2 (mean - min) / min^2]
// (eps = 1e-8). The reference minimises sum w(t_k)^2 from 10 regular starting points
// per bracket with L-BFGS-B; here the roots are located by sign changes on that grid
// and refined by Brent's method, and the limit t -> 0- (where the optimiser drifts
// when w is flat) is a candidate too, which reproduces the reference run with a tight
// optimiser. The reference scores the exponential candidate (t = 0, sigma = mean) with
// n (1 + ln mean), the exponential log-likelihood with its sign flipped, which makes
// it win whenever the mean excess is large; reproduced on purpose so that the
// reference's thresholds are matched. Its positive bracket starts at
// 2 (mean - min) / (mean min), above the root gamma / sigma whenever the smallest excess
// is small, so heavy tails (gamma > 0) come out as gamma <= 0: also the reference's.
[[nodiscard]] GpdFit fit_gpd_spot_paper(std::span<const double> excesses, const ExcessSums& sums) noexcept;

// libspot 1.3.1's tail fit as it really runs: its Brent routine starts with f(s) = 0
// and so returns its first iterate s = 0 for every bracket that changes sign; every
// candidate is therefore scored at t = 0, i.e. the exponential tail gamma = 0,
// sigma = mean excess (summed in ring-slot order), with the likelihood
// n (1 + ln sigma). A likelihood that is not above -inf (a mean of 0) means libspot
// keeps its previous parameters; the result then has log_likelihood = -inf and the
// caller keeps its own.
[[nodiscard]] GpdFit fit_gpd_libspot1(std::span<const double> excesses) noexcept;

}  // namespace anomstream::drift
