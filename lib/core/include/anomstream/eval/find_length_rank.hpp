#pragma once
// TSB-AD's period estimate, which picks the sliding window of its VUS evaluation.

#include <cstddef>
#include <span>

#include "anomstream/core/error.hpp"

namespace anomstream::eval {

// Points of the series the estimate looks at (the first ones).
inline constexpr std::size_t FIND_LENGTH_MAX_POINTS = 20'000;
// Largest autocorrelation lag computed.
inline constexpr std::size_t FIND_LENGTH_MAX_LAG = 400;
// Answer when no acceptable period is found.
inline constexpr std::size_t FIND_LENGTH_FALLBACK = 125;

// TSB-AD's `find_length_rank(data, rank)` (TheDatumOrg/TSB-AD,
// `TSB_AD/utils/slidingWindows.py`), which the benchmark calls on the first channel with
// rank 1 to get `slidingWindow`. On the first 20 000 points of `series` it computes the
// autocorrelation for lags 0..min(400, n-1) (statsmodels `acf(x, nlags=400, fft=True)`:
// demeaned, biased autocovariance divided by the lag-0 one), drops lags 0..2, finds the
// strict interior local maxima (scipy `argrelextrema(..., np.greater)`), orders them by
// autocorrelation, highest first, and picks:
//  - rank 1: the highest;
//  - rank 2: the highest among those at a larger lag than the highest, else the highest;
//  - rank 3: the reference's two-step search, reproduced as written: it takes the
//    position p (in lag order) of the rank-2 pick and then scans the ordered list from
//    index p (mixing a position with an index, so the pick is rarely "the third"),
//    falling back to 125 when there is no rank-2 candidate;
// and returns its lag if that lag is in [6, 303] (index 3..300 after the dropped
// lags), else 125; also 125 when there is no local maximum (a constant series has an
// undefined autocorrelation and none). Rank 0 returns 1 for any input.
//
// The autocovariances are summed directly (exact up to rounding) where statsmodels uses
// an FFT; the answers agree wherever two candidate peaks differ by more than FFT
// round-off (about 1e-15 of the variance), checked on all 34 TSB-AD development files
// for ranks 1-3. Among exactly tied peaks the one at the larger lag comes first, as
// numpy's argsort gives for up to 16 peaks.
//
// Cost: O(min(n, 20 000) * 400) time (about 8 million multiply-adds), O(min(n, 20 000))
// memory. Failure modes: `rank` outside [0, 3] is ErrorCode::invalid_config (the
// reference treats any other rank as 1); fewer than 2 points is
// ErrorCode::invalid_input (the reference raises); a non-finite value among the points
// used is ErrorCode::non_finite (the reference would return 125 on NaN).
[[nodiscard]] Result<std::size_t> find_length_rank(std::span<const double> series, int rank = 1);

}  // namespace anomstream::eval
