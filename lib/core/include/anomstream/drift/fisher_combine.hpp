#pragma once
// Fisher's method for combining independent p-values.

#include <span>

#include "anomstream/core/error.hpp"

namespace anomstream::drift {

// Combines k independent p-values into one (Fisher 1925, "Statistical Methods for
// Research Workers", section 21.1): under the joint null, X = -2 * sum(ln p_i) is
// chi-square with 2k degrees of freedom, whose survival function is exactly
// exp(-X/2) * sum_{i<k} (X/2)^i / i!, the probability that a Poisson(X/2) count is below
// k. It is evaluated in log space from the largest term outward (the log of that term by
// Loader's saddle-point formula, as R's dpois does), so it neither overflows nor
// underflows for large k or tiny p-values and keeps near full relative precision; the
// series stops once the neglected tail is below 1e-17 of the sum. Use it to merge
// per-feature or per-detector p-values into one alert probability; it assumes
// independence (correlated inputs make the result too small). Memory: O(1). Time: O(k).
// Failures: an empty span is invalid_input ("p_values"); a NaN or infinite p is
// non_finite and a p outside (0, 1] is invalid_input, both naming "p_values[i]". A p of
// exactly 0 is rejected rather than answered with 0: it usually means an upstream
// underflow, and a tiny positive p (down to the smallest subnormal) is handled exactly.
[[nodiscard]] Result<double> fisher_combine(std::span<const double> p_values);

// The natural logarithm of fisher_combine's result, still accurate when the combined
// p-value is below the smallest double (e.g. hundreds of p-values of 1e-10), where
// fisher_combine returns 0. Same validation and bounds.
[[nodiscard]] Result<double> fisher_combine_log(std::span<const double> p_values);

}  // namespace anomstream::drift
