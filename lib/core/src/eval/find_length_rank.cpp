#include "anomstream/eval/find_length_rank.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace anomstream::eval {

namespace {

// The reference drops lags 0, 1 and 2 before looking for peaks.
constexpr std::size_t LAG_BASE = 3;
// Accepted peak index (after the dropped lags): [3, 300], i.e. lags 6..303.
constexpr std::size_t MIN_PEAK_INDEX = 3;
constexpr std::size_t MAX_PEAK_INDEX = 300;

// statsmodels `acf(x, nlags=400, fft=True)[3:]` for the lags it has.
std::vector<double> autocorrelation_from_base(std::span<const double> x) {
  const std::size_t n = x.size();
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  std::vector<double> centred(n);
  std::transform(x.begin(), x.end(), centred.begin(), [mean](double v) { return v - mean; });
  const std::size_t max_lag = std::min(FIND_LENGTH_MAX_LAG, n - 1);
  auto autocovariance = [&](std::size_t lag) {
    double sum = 0.0;
    for (std::size_t t = 0; t + lag < n; ++t) {
      sum += centred[t] * centred[t + lag];
    }
    return sum / static_cast<double>(n);
  };
  const double variance = autocovariance(0);
  std::vector<double> acf;
  for (std::size_t lag = LAG_BASE; lag <= max_lag; ++lag) {
    acf.push_back(autocovariance(lag) / variance);
  }
  return acf;
}

}  // namespace

Result<std::size_t> find_length_rank(std::span<const double> series, int rank) {
  if (auto ok = require_in_range(rank, 0, 3, "rank"); !ok) {
    return std::unexpected(ok.error());
  }
  if (rank == 0) {
    return std::size_t{1};  // before any look at the data, as in the reference
  }
  if (series.size() < 2) {
    return fail(ErrorCode::invalid_input, "series",
                "must hold at least 2 points (got " + std::to_string(series.size()) + ")");
  }
  const auto head = series.first(std::min(series.size(), FIND_LENGTH_MAX_POINTS));
  if (auto ok = require_finite(head, "series"); !ok) {
    return std::unexpected(ok.error());
  }
  const std::vector<double> acf = autocorrelation_from_base(head);

  // argrelextrema(acf, np.greater): strict on both sides; the end points never qualify.
  // A zero-variance series gives NaN, which is no peak.
  std::vector<std::size_t> peaks;
  for (std::size_t i = 1; i + 1 < acf.size(); ++i) {
    if (acf[i] > acf[i - 1] && acf[i] > acf[i + 1]) {
      peaks.push_back(i);
    }
  }
  if (peaks.empty()) {
    return FIND_LENGTH_FALLBACK;
  }
  // np.argsort(values)[::-1]: positions into `peaks`, highest value first; a stable
  // ascending sort reversed puts the later of two tied peaks first.
  std::vector<std::size_t> order(peaks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return acf[peaks[a]] < acf[peaks[b]];
  });
  std::reverse(order.begin(), order.end());

  std::size_t chosen = order[0];
  if (rank == 2) {
    for (std::size_t j = 1; j < order.size(); ++j) {
      if (order[j] > order[0]) {
        chosen = order[j];
        break;
      }
    }
  } else if (rank == 3) {
    // Reproduced as written in the reference: `id_tmp` is a position in lag order, yet
    // it is used as an index into the value-ordered list; with no candidate the
    // reference hits an unbound name inside its try block and returns 125.
    std::size_t id_tmp = order.size();
    for (std::size_t j = 1; j < order.size(); ++j) {
      if (order[j] > order[0]) {
        id_tmp = order[j];
        break;
      }
    }
    if (id_tmp == order.size()) {
      return FIND_LENGTH_FALLBACK;
    }
    for (std::size_t j = id_tmp; j < order.size(); ++j) {
      if (order[j] > order[id_tmp]) {
        chosen = order[j];
        break;
      }
    }
  }
  const std::size_t peak = peaks[chosen];
  if (peak < MIN_PEAK_INDEX || peak > MAX_PEAK_INDEX) {
    return FIND_LENGTH_FALLBACK;
  }
  return peak + LAG_BASE;
}

}  // namespace anomstream::eval
