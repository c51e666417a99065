#include "anomstream/timeseries/matrix_profile.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "stomp_kernel.hpp"
#include "window_statistics.hpp"

namespace anomstream::timeseries {

namespace {

using detail::BLOCK_DIAGONALS;
using detail::PartialProfile;
using detail::WindowStatistics;

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr std::int64_t NONE = -1;
// stumpy's STUMPY_P_NORM_THRESHOLD: squared distances below this are reported as 0.
constexpr double P_NORM_THRESHOLD = 1e-14;
// stumpy's Pearson correlations for pairs involving a flat window.
constexpr double FLAT_FLAT_CORR = 1.0;
constexpr double FLAT_OTHER_CORR = 0.5;

Status validate(std::span<const double> series, const MatrixProfileConfig& config) {
  if (series.size() < MatrixProfile::MIN_WINDOW) {
    return fail(ErrorCode::invalid_input, "series",
                "length must be >= " + std::to_string(MatrixProfile::MIN_WINDOW) + " (got " +
                    std::to_string(series.size()) + ")");
  }
  if (auto ok = require_in_range(config.window, MatrixProfile::MIN_WINDOW, series.size(), "window");
      !ok) {
    return ok;
  }
  for (std::size_t t = 0; t < series.size(); ++t) {
    const double x = series[t];
    if (std::isfinite(x) && std::abs(x) > MatrixProfile::MAX_ABS_VALUE) {
      return fail(ErrorCode::invalid_input, "series[" + std::to_string(t) + "]",
                  "must be NaN, Inf or within [-1e+100, 1e+100] (got " + format_number(x) + ")");
    }
  }
  return {};
}

// Best correlation over all tasks' partials; on equal values the lower index wins.
void merge_into(std::vector<double>& corr, std::vector<std::int64_t>& index,
                const std::vector<double>& other_corr, const std::vector<std::int64_t>& other_index,
                std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const bool better =
        other_corr[i] > corr[i] || (other_corr[i] == corr[i] && other_index[i] >= 0 &&
                                    (index[i] < 0 || other_index[i] < index[i]));
    if (better) {
      corr[i] = other_corr[i];
      index[i] = other_index[i];
    }
  }
}

// Nearest flagged window at or after each position ("next") or at or before it
// ("previous"); NONE when there is none.
std::vector<std::int64_t> next_flagged(const std::vector<std::uint8_t>& flag) {
  std::vector<std::int64_t> out(flag.size() + 1, NONE);
  for (std::size_t i = flag.size(); i-- > 0;) {
    out[i] = flag[i] != 0 ? static_cast<std::int64_t>(i) : out[i + 1];
  }
  return out;
}

std::vector<std::int64_t> previous_flagged(const std::vector<std::uint8_t>& flag) {
  std::vector<std::int64_t> out(flag.size(), NONE);
  std::int64_t last = NONE;
  for (std::size_t i = 0; i < flag.size(); ++i) {
    if (flag[i] != 0) {
      last = static_cast<std::int64_t>(i);
    }
    out[i] = last;
  }
  return out;
}

// The kernel skips every pair with a flat window; stumpy scores such a pair as
// correlation 1 (both flat) or 0.5 (one flat). Reproduced here in O(l): a flat window's
// best left/right neighbour is the nearest flat window beyond the exclusion zone, else
// the nearest finite one; a non-flat window gains 0.5 from the nearest flat window
// when its own best is lower (stumpy's strict '>' keeps an equal earlier value).
void apply_flat_windows(const WindowStatistics& stats, std::size_t excl,
                        std::vector<double>& left_corr, std::vector<std::int64_t>& left_index,
                        std::vector<double>& right_corr, std::vector<std::int64_t>& right_index) {
  const std::size_t l = stats.count;
  if (std::find(stats.constant.begin(), stats.constant.end(), 1) == stats.constant.end()) {
    return;
  }
  std::vector<std::uint8_t> regular(l);
  for (std::size_t i = 0; i < l; ++i) {
    regular[i] = stats.finite[i] != 0 && stats.constant[i] == 0 ? 1 : 0;
  }
  const auto next_flat = next_flagged(stats.constant);
  const auto prev_flat = previous_flagged(stats.constant);
  const auto next_regular = next_flagged(regular);
  const auto prev_regular = previous_flagged(regular);

  auto offer = [](double corr, std::int64_t candidate, double& best, std::int64_t& best_index) {
    if (candidate != NONE && corr > best) {
      best = corr;
      best_index = candidate;
    }
  };
  for (std::size_t i = 0; i < l; ++i) {
    if (stats.finite[i] == 0) {
      continue;
    }
    const bool flat = stats.constant[i] != 0;
    if (i + excl + 1 < l) {
      const std::size_t from = i + excl + 1;
      offer(flat ? FLAT_FLAT_CORR : FLAT_OTHER_CORR, next_flat[from], right_corr[i],
            right_index[i]);
      if (flat) {
        offer(FLAT_OTHER_CORR, next_regular[from], right_corr[i], right_index[i]);
      }
    }
    if (i >= excl + 1) {
      const std::size_t to = i - excl - 1;
      offer(flat ? FLAT_FLAT_CORR : FLAT_OTHER_CORR, prev_flat[to], left_corr[i], left_index[i]);
      if (flat) {
        offer(FLAT_OTHER_CORR, prev_regular[to], left_corr[i], left_index[i]);
      }
    }
  }
}

// stumpy's conversion: rho capped at 1, d = sqrt(|2m(1 - rho)|), tiny squares to 0.
double to_distance(double corr, double m) noexcept {
  const double rho = std::min(corr, 1.0);
  const double p_norm = std::abs(2.0 * m * (1.0 - rho));
  return std::sqrt(p_norm < P_NORM_THRESHOLD ? 0.0 : p_norm);
}

}  // namespace

Result<MatrixProfile> MatrixProfile::compute(std::span<const double> series,
                                             const MatrixProfileConfig& config) {
  InlineDiagonalExecutor inline_executor;
  return compute(series, config, inline_executor);
}

Result<MatrixProfile> MatrixProfile::compute(std::span<const double> series,
                                             const MatrixProfileConfig& config,
                                             DiagonalExecutor& executor) {
  if (auto ok = validate(series, config); !ok) {
    return std::unexpected(ok.error());
  }
  const std::size_t n = series.size();
  const std::size_t m = config.window;
  const std::size_t l = n - m + 1;
  const std::size_t excl = (m + 3) / 4;  // ceil(m / 4)

  const WindowStatistics stats = detail::compute_window_statistics(series, m, BLOCK_DIAGONALS);

  // Diagonal g holds the cells (i, i + g); g <= excl are trivial matches.
  const std::size_t first_diagonal = excl + 1;
  const std::size_t blocks =
      first_diagonal < l ? (l - first_diagonal + BLOCK_DIAGONALS - 1) / BLOCK_DIAGONALS : 0;
  const std::size_t tasks = std::max<std::size_t>(
      1, std::min<std::size_t>(std::max<std::size_t>(executor.concurrency(), 1), blocks));
  std::vector<PartialProfile> partials;
  partials.reserve(tasks);
  for (std::size_t t = 0; t < tasks; ++t) {
    partials.emplace_back(l);
  }
  if (blocks > 0) {
    // Blocks are claimed longest first (diagonal g has l - g cells), so the last ones
    // handed out are the shortest and the tasks finish close together.
    std::atomic<std::size_t> next_block{0};
    executor.parallel_for(tasks, [&](std::size_t task) {
      PartialProfile& partial = partials[task];
      for (std::size_t b = next_block.fetch_add(1, std::memory_order_relaxed); b < blocks;
           b = next_block.fetch_add(1, std::memory_order_relaxed)) {
        detail::process_diagonal_block(stats, first_diagonal + b * BLOCK_DIAGONALS, partial);
      }
    });
  }

  PartialProfile& merged = partials.front();
  for (std::size_t t = 1; t < tasks; ++t) {
    merge_into(merged.left_corr, merged.left_index, partials[t].left_corr, partials[t].left_index,
               l);
    merge_into(merged.right_corr, merged.right_index, partials[t].right_corr,
               partials[t].right_index, l);
  }
  apply_flat_windows(stats, excl, merged.left_corr, merged.left_index, merged.right_corr,
                     merged.right_index);

  MatrixProfile out;
  out.window_ = m;
  out.series_length_ = n;
  out.exclusion_zone_ = excl;
  out.profile_.resize(l);
  out.index_.resize(l);
  out.left_profile_.resize(l);
  out.left_index_.assign(merged.left_index.begin(), merged.left_index.begin() + l);
  out.right_profile_.resize(l);
  out.right_index_ = std::move(merged.right_index);
  const double md = static_cast<double>(m);
  for (std::size_t i = 0; i < l; ++i) {
    const double left = to_distance(merged.left_corr[i], md);
    const double right = to_distance(merged.right_corr[i], md);
    out.left_profile_[i] = left;
    out.right_profile_[i] = right;
    const bool use_left = left < right;
    out.profile_[i] = use_left ? left : right;
    out.index_[i] = use_left ? out.left_index_[i] : out.right_index_[i];
  }
  return out;
}

Result<std::vector<Discord>> MatrixProfile::top_discords(
    std::size_t k, std::optional<std::size_t> exclusion) const {
  if (k == 0) {
    return fail(ErrorCode::invalid_input, "k", "must be >= 1 (got 0)");
  }
  const std::size_t excl = exclusion.value_or(exclusion_zone_);
  const std::size_t l = size();
  std::vector<std::size_t> order;
  order.reserve(l);
  for (std::size_t i = 0; i < l; ++i) {
    if (std::isfinite(profile_[i])) {
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return profile_[a] > profile_[b]; });
  std::vector<std::uint8_t> blocked(l, 0);
  std::vector<Discord> out;
  for (const std::size_t i : order) {
    if (out.size() == k) {
      break;
    }
    if (blocked[i] != 0) {
      continue;
    }
    out.push_back(Discord{i, index_[i], profile_[i]});
    const std::size_t lo = i > excl ? i - excl : 0;
    const std::size_t hi = std::min(l - 1, i + excl);
    std::fill(blocked.begin() + static_cast<std::ptrdiff_t>(lo),
              blocked.begin() + static_cast<std::ptrdiff_t>(hi) + 1, 1);
  }
  return out;
}

Result<std::vector<Motif>> MatrixProfile::top_motifs(std::size_t k,
                                                     std::optional<std::size_t> exclusion) const {
  if (k == 0) {
    return fail(ErrorCode::invalid_input, "k", "must be >= 1 (got 0)");
  }
  const std::size_t excl = exclusion.value_or(exclusion_zone_);
  const std::size_t l = size();
  std::vector<std::size_t> order;
  order.reserve(l);
  for (std::size_t i = 0; i < l; ++i) {
    if (std::isfinite(profile_[i]) && index_[i] >= 0) {
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return profile_[a] < profile_[b]; });
  std::vector<std::uint8_t> blocked(l, 0);
  auto block = [&](std::size_t i) {
    const std::size_t lo = i > excl ? i - excl : 0;
    const std::size_t hi = std::min(l - 1, i + excl);
    std::fill(blocked.begin() + static_cast<std::ptrdiff_t>(lo),
              blocked.begin() + static_cast<std::ptrdiff_t>(hi) + 1, 1);
  };
  std::vector<Motif> out;
  for (const std::size_t i : order) {
    if (out.size() == k) {
      break;
    }
    const auto j = static_cast<std::size_t>(index_[i]);
    if (blocked[i] != 0 || blocked[j] != 0) {
      continue;
    }
    out.push_back(Motif{i, j, profile_[i]});
    block(i);
    block(j);
  }
  return out;
}

std::vector<double> MatrixProfile::point_scores() const {
  const std::size_t n = series_length_;
  const std::size_t m = window_;
  const std::size_t l = size();
  std::vector<double> scores(n, 0.0);
  // Monotone queue of window indices whose finite profile values decrease front to back:
  // the front is the maximum over the windows still covering the current point.
  std::vector<std::size_t> queue(l);
  std::size_t head = 0;
  std::size_t tail = 0;
  for (std::size_t t = 0; t < n; ++t) {
    if (t < l && std::isfinite(profile_[t])) {
      while (tail > head && profile_[queue[tail - 1]] <= profile_[t]) {
        --tail;
      }
      queue[tail++] = t;
    }
    while (tail > head && queue[head] + m <= t) {
      ++head;
    }
    if (tail > head) {
      scores[t] = profile_[queue[head]];
    }
  }
  return scores;
}

}  // namespace anomstream::timeseries
