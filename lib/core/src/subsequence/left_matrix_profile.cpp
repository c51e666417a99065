#include "anomstream/subsequence/left_matrix_profile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <utility>

#include "snapshot_errors.hpp"
#include "window_distance.hpp"

namespace anomstream::subsequence {
namespace {

using Self = LeftMatrixProfile;
using detail::corrupt;
using detail::wrong_length;

std::size_t effective_exclusion(const LeftMatrixProfileConfig& config) noexcept {
  return config.exclusion == 0 ? (config.window + 3) / 4 : config.exclusion;
}

Status validate(const LeftMatrixProfileConfig& config) {
  if (auto ok = require_in_range<std::size_t>(config.window, Self::MIN_WINDOW, Self::MAX_WINDOW,
                                              "window");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.exclusion, 0, config.window, "exclusion");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.history, effective_exclusion(config) + 1,
                                              Self::MAX_HISTORY, "history");
      !ok) {
    return ok;
  }
  if (!is_valid(config.alignment)) {
    return fail(ErrorCode::invalid_config, "alignment", "must be newest or lagged");
  }
  if (auto ok = require_in_range<std::uint64_t>(config.warmup, 0, Self::MAX_WARMUP, "warmup"); !ok) {
    return ok;
  }
  return {};
}

// The check process() and restore() share: finite and within +/-limit.
Status check_value(double value, double limit, std::string_view field) noexcept {
  if (std::abs(value) <= limit) [[likely]] {
    return {};
  }
  if (!std::isfinite(value)) return require_finite(value, field);
  return fail(ErrorCode::invalid_input, std::string(field),
              "must be within [-" + format_number(limit) + ", " + format_number(limit) +
                  "] (got " + format_number(value) + ")");
}

// The largest of x[0, n): four running maxima, so the loop has no chain longer than n/4
// (a maximum is exact, so the split does not change the result).
double lane_max(const double* x, std::size_t n) noexcept {
  constexpr double LOW = -std::numeric_limits<double>::infinity();
  double m0 = LOW, m1 = LOW, m2 = LOW, m3 = LOW;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    m0 = std::max(m0, x[i]);
    m1 = std::max(m1, x[i + 1]);
    m2 = std::max(m2, x[i + 2]);
    m3 = std::max(m3, x[i + 3]);
  }
  for (; i < n; ++i) m0 = std::max(m0, x[i]);
  return std::max(std::max(m0, m1), std::max(m2, m3));
}

// The row's pass over the diagonals q in [first, last): QT moves one step along its
// diagonal, QT += entering v[q + m] - leaving v[q], and its correlation term follows,
// c = (QT - a shift) scale. Two positions per iteration on restrict pointers: at -O2
// GCC 12 vectorises straight-line code (SLP) but not a loop it would have to version
// for aliasing or give a scalar tail.
void advance_diagonals(double* __restrict qt, double* __restrict correlation,
                       const double* __restrict v, const double* __restrict v_ahead,
                       const double* __restrict shifts, const double* __restrict scales,
                       double entering, double leaving, double a, std::size_t first,
                       std::size_t last) noexcept {
  std::size_t q = first;
  for (; q + 2 <= last; q += 2) {
    const double q0 = qt[q] + (entering * v_ahead[q] - leaving * v[q]);
    const double q1 = qt[q + 1] + (entering * v_ahead[q + 1] - leaving * v[q + 1]);
    qt[q] = q0;
    qt[q + 1] = q1;
    correlation[q] = (q0 - a * shifts[q]) * scales[q];
    correlation[q + 1] = (q1 - a * shifts[q + 1]) * scales[q + 1];
  }
  for (; q < last; ++q) {
    qt[q] += entering * v_ahead[q] - leaving * v[q];
    correlation[q] = (qt[q] - a * shifts[q]) * scales[q];
  }
}

}  // namespace

LeftMatrixProfile::LeftMatrixProfile(const LeftMatrixProfileConfig& config)
    : config_(config),
      exclusion_(effective_exclusion(config)),
      values_(1, config.history + config.window + 1),
      shifts_(1, config.history),
      scales_(1, config.history),
      dot_products_(config.history - exclusion_, 0.0),
      correlations_(config.history - exclusion_, 0.0),
      recent_scores_(config.alignment == ScoreAlignment::lagged ? config.window / 2 + 1 : 0) {}

Result<LeftMatrixProfile> LeftMatrixProfile::create(const LeftMatrixProfileConfig& config) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  return LeftMatrixProfile(config);
}

std::uint64_t LeftMatrixProfile::subsequences() const noexcept {
  const std::uint64_t rows = values_.pushed();
  return rows >= config_.window ? rows - config_.window + 1 : 0;
}

std::size_t LeftMatrixProfile::first_candidate() const noexcept {
  // Position q = H - k holds neighbour j = i - k; it exists when j >= 0.
  const std::uint64_t i = subsequences() - 1;
  return config_.history - static_cast<std::size_t>(std::min<std::uint64_t>(i, config_.history));
}

bool LeftMatrixProfile::is_ready() const noexcept {
  return subsequences() > 0 && first_candidate() < dot_products_.size();
}

std::size_t LeftMatrixProfile::lag() const noexcept {
  return config_.alignment == ScoreAlignment::lagged ? config_.window / 2 : 0;
}

double LeftMatrixProfile::exact_dot_product(std::size_t k) const noexcept {
  // v[0] is x[i - 1 - H]: the newest subsequence starts at v[H + 1], neighbour i - k at
  // v[H + 1 - k].
  const double* v = values_.padded_window().data();
  const double* newest = v + config_.history + 1;
  const double* neighbor = newest - k;
  return detail::lane_sum(config_.window,
                          [newest, neighbor](std::size_t t) { return newest[t] * neighbor[t]; });
}

LeftMatrixProfile::Terms LeftMatrixProfile::measure(const double* x) const noexcept {
  const std::size_t m = config_.window;
  if (!config_.normalize) {
    return {0.5 * detail::lane_sum(m, [x](std::size_t t) { return x[t] * x[t]; }), 1.0};
  }
  double mean = detail::lane_sum(m, [x](std::size_t t) { return x[t]; }) / static_cast<double>(m);
  // One correction pass: a constant subsequence then has a mean equal to its value.
  mean += detail::lane_sum(m, [x, mean](std::size_t t) { return x[t] - mean; }) /
          static_cast<double>(m);
  const double squares =
      detail::lane_sum(m, [x, mean](std::size_t t) { return (x[t] - mean) * (x[t] - mean); });
  const double sd = std::sqrt(squares / static_cast<double>(m));
  return {mean, sd < FLAT_SD ? 0.0 : 1.0 / sd};
}

void LeftMatrixProfile::measure_newest() noexcept {
  const auto terms = measure(values_.padded_window().data() + config_.history + 1);
  shift_ = terms.shift;
  scale_ = terms.scale;
}

double LeftMatrixProfile::correlation_scale() const noexcept {
  return config_.normalize ? static_cast<double>(config_.window) * shift_ : 1.0;
}

void LeftMatrixProfile::correlate(std::size_t first, std::size_t last) noexcept {
  const double a = correlation_scale();
  const double* shifts = shifts_.padded_window().data();
  const double* scales = scales_.padded_window().data();
  for (std::size_t q = first; q < last; ++q) {
    correlations_[q] = (dot_products_[q] - a * shifts[q]) * scales[q];
  }
}

void LeftMatrixProfile::update_dot_products() noexcept {
  const std::size_t h = config_.history;
  const std::size_t m = config_.window;
  const std::size_t positions = dot_products_.size();
  const std::size_t first = first_candidate();
  if (first >= positions) return;
  const double* v = values_.padded_window().data();
  // QT_i[k] = QT_{i-1}[k] + x[i+m-1] x[i-k+m-1] - x[i-1] x[i-k-1], k = h - q, with
  // x[i+m-1] = v[h+m] and x[i-1] = v[h]. The newest diagonal (neighbour 0) reads zero
  // padding here and is replaced below.
  advance_diagonals(dot_products_.data(), correlations_.data(), v, v + m,
                    shifts_.padded_window().data(), scales_.padded_window().data(), v[h + m],
                    v[h], correlation_scale(), first, positions);
  // One diagonal restarts from an exact dot product: k = i mod H (H for 0), which is the
  // new diagonal k = i while the history fills.
  const std::uint64_t i = subsequences() - 1;
  const auto k = static_cast<std::size_t>(i % h == 0 ? h : i % h);
  if (k > exclusion_ && k <= i) {
    dot_products_[h - k] = exact_dot_product(k);
    correlate(h - k, h - k + 1);
  }
}

void LeftMatrixProfile::find_neighbor() noexcept {
  score_ = 0.0;
  neighbor_offset_ = -1;
  if (!is_ready()) return;
  const std::size_t first = first_candidate();
  const std::size_t positions = dot_products_.size();
  const double* scales = scales_.padded_window().data();
  const auto oldest_flat = [&]() -> std::size_t {
    return static_cast<std::size_t>(std::find(scales + first, scales + positions, 0.0) - scales);
  };
  const double m = static_cast<double>(config_.window);
  if (config_.normalize && scale_ == 0.0) {
    // Flat: 0 from a flat neighbour, sqrt(m) from every other one.
    const std::size_t flat = oldest_flat();
    const std::size_t q = flat < positions ? flat : first;
    score_ = flat < positions ? 0.0 : std::sqrt(m);
    neighbor_offset_ = static_cast<std::int64_t>(config_.history - q);
    return;
  }
  const double* correlation = correlations_.data();
  const double best = lane_max(correlation + first, positions - first);
  auto q = static_cast<std::size_t>(
      std::find(correlation + first, correlation + positions, best) - correlation);
  double squared = 0.0;
  if (config_.normalize) {
    double rho = std::min(best * scale_ / m, 1.0);
    if (rho <= 0.5) {
      // A flat neighbour is at sqrt(m), rho = 1/2; in the loop it counted as rho = 0.
      const std::size_t flat = oldest_flat();
      if (flat < positions && (rho < 0.5 || flat < q)) {
        q = flat;
        rho = 0.5;
      }
    }
    squared = 2.0 * m * (1.0 - rho);
  } else {
    // d^2 = |x_i|^2 + |x_j|^2 - 2 QT = 2 (shift_i - (QT - shift_j)).
    squared = 2.0 * (shift_ - best);
  }
  // Rounding can take an exact match just above 0, or below it without normalisation.
  score_ = squared < ZERO_SQUARED_DISTANCE ? 0.0 : std::sqrt(squared);
  neighbor_offset_ = static_cast<std::int64_t>(config_.history - q);
}

void LeftMatrixProfile::remember_newest() noexcept {
  shifts_.push(std::span(&shift_, 1));
  scales_.push(std::span(&scale_, 1));
}

double LeftMatrixProfile::record_score(double subsequence_score) noexcept {
  if (config_.alignment == ScoreAlignment::newest) return subsequence_score;
  recent_scores_.record(values_.pushed() - 1, subsequence_score);
  if (values_.pushed() < recent_scores_.size()) return 0.0;
  double sum = 0.0;
  for (const double v : recent_scores_.values()) sum += v;
  return sum / static_cast<double>(recent_scores_.size());
}

Result<double> LeftMatrixProfile::process(double value) noexcept {
  if (auto ok = check_value(value, MAX_ABS_VALUE, "value"); !ok) [[unlikely]] {
    return std::unexpected(ok.error());
  }
  if (values_.pushed() == 0) reference_ = value;
  const double centred = value - reference_;
  values_.push(std::span(&centred, 1));
  if (subsequences() > 0) {
    measure_newest();
    update_dot_products();
    find_neighbor();
    remember_newest();
  }
  const double point_score = record_score(score_);
  return values_.pushed() <= config_.warmup ? 0.0 : point_score;
}

std::size_t LeftMatrixProfile::memory_bytes() const noexcept {
  return sizeof(LeftMatrixProfile) + values_.memory_bytes() + shifts_.memory_bytes() +
         scales_.memory_bytes() +
         (dot_products_.capacity() + correlations_.capacity()) * sizeof(double) +
         recent_scores_.memory_bytes();
}

namespace {

// Mean and population standard deviation of x[0, m).
std::pair<double, double> moments(const double* x, std::size_t m) noexcept {
  double mean = 0.0;
  for (std::size_t i = 0; i < m; ++i) mean += x[i];
  mean /= static_cast<double>(m);
  double squares = 0.0;
  for (std::size_t i = 0; i < m; ++i) squares += (x[i] - mean) * (x[i] - mean);
  return {mean, std::sqrt(squares / static_cast<double>(m))};
}

}  // namespace

Result<LeftMatrixProfile::Pair> LeftMatrixProfile::neighbor_pair() const noexcept {
  if (neighbor_offset_ < 0) return fail(ErrorCode::not_ready, "neighbor", "needs a neighbour outside the exclusion zone");
  Pair pair;
  pair.newest = values_.padded_window().data() + config_.history + 1;
  pair.neighbor = pair.newest - static_cast<std::size_t>(neighbor_offset_);
  if (config_.normalize) {
    std::tie(pair.mean, pair.sd) = moments(pair.newest, config_.window);
    std::tie(pair.neighbor_mean, pair.neighbor_sd) = moments(pair.neighbor, config_.window);
  }
  return pair;
}

Result<double> LeftMatrixProfile::expected_newest() const noexcept {
  auto pair = neighbor_pair();
  if (!pair) return std::unexpected(pair.error());
  const double last = pair->neighbor[config_.window - 1];
  if (!config_.normalize) return last + reference_;
  if (pair->sd < FLAT_SD || pair->neighbor_sd < FLAT_SD) return pair->mean + reference_;
  return pair->mean + pair->sd * (last - pair->neighbor_mean) / pair->neighbor_sd + reference_;
}

Result<std::size_t> LeftMatrixProfile::top_lag() const noexcept {
  auto pair = neighbor_pair();
  if (!pair) return std::unexpected(pair.error());
  const std::size_t m = config_.window;
  // Flat subsequences normalise to zeros, as in the distance.
  const double a = config_.normalize ? (pair->sd < FLAT_SD ? 0.0 : 1.0 / pair->sd) : 1.0;
  const double b = config_.normalize ? (pair->neighbor_sd < FLAT_SD ? 0.0 : 1.0 / pair->neighbor_sd) : 1.0;
  std::size_t top = 0;
  double largest = -1.0;
  for (std::size_t i = 0; i < m; ++i) {
    const double d = (pair->newest[i] - pair->mean) * a - (pair->neighbor[i] - pair->neighbor_mean) * b;
    if (d * d > largest) {
      largest = d * d;
      top = m - 1 - i;
    }
  }
  return top;
}

LeftMatrixProfileSnapshot LeftMatrixProfile::snapshot() const {
  LeftMatrixProfileSnapshot out;
  out.config = config_;
  out.rows_seen = values_.pushed();
  out.reference = reference_;
  out.recent = values_.recent();
  if (is_ready()) {
    out.dot_products.assign(dot_products_.begin() + static_cast<std::ptrdiff_t>(first_candidate()),
                            dot_products_.end());
  }
  out.recent_scores = recent_scores_.oldest_first(values_.pushed());
  return out;
}

Result<LeftMatrixProfile> LeftMatrixProfile::restore(const LeftMatrixProfileSnapshot& snapshot) {
  const auto& config = snapshot.config;
  if (auto ok = validate(config); !ok) return corrupt("config." + ok.error().field, ok.error().bound);
  LeftMatrixProfile out(config);
  if (auto ok = check_value(snapshot.reference, MAX_ABS_VALUE, "reference"); !ok) {
    return corrupt(ok.error().field, ok.error().bound);
  }
  if (snapshot.rows_seen == 0 && snapshot.reference != 0.0) {
    return corrupt("reference", "must be 0 before any value");
  }
  const std::size_t capacity = out.values_.capacity();
  const auto kept = static_cast<std::size_t>(std::min<std::uint64_t>(snapshot.rows_seen, capacity));
  if (snapshot.recent.size() != kept) return wrong_length("recent", kept, snapshot.recent.size());
  // A value minus the first one: within 2 * MAX_ABS_VALUE.
  for (std::size_t t = 0; t < kept; ++t) {
    if (auto ok = check_value(snapshot.recent[t], 2 * MAX_ABS_VALUE,
                              "recent[" + std::to_string(t) + "]");
        !ok) {
      return corrupt(ok.error().field, ok.error().bound);
    }
  }
  if (snapshot.recent_scores.size() != out.recent_scores_.size()) {
    return wrong_length("recent_scores", out.recent_scores_.size(), snapshot.recent_scores.size());
  }
  for (const double s : snapshot.recent_scores) {
    if (!(s >= 0.0 && s <= std::sqrt(4.0 * static_cast<double>(config.window)))) {
      return corrupt("recent_scores", "each must be in [0, sqrt(4 window)]");
    }
  }
  out.reference_ = snapshot.reference;
  out.values_.replay(snapshot.rows_seen, snapshot.recent);
  const std::size_t expected = out.is_ready() ? out.dot_products_.size() - out.first_candidate() : 0;
  if (snapshot.dot_products.size() != expected) {
    return wrong_length("dot_products", expected, snapshot.dot_products.size());
  }
  // |QT| <= m * (2 * MAX_ABS_VALUE)^2 by Cauchy-Schwarz.
  const double bound = static_cast<double>(config.window) * 4.0 * MAX_ABS_VALUE * MAX_ABS_VALUE;
  for (const double qt : snapshot.dot_products) {
    if (!(std::abs(qt) <= bound)) return corrupt("dot_products", "each must be finite, |QT| <= m (2e150)^2");
  }
  const std::uint64_t count = out.subsequences();
  if (count > 0) {
    // The means and sds of the newest subsequence's candidates exactly as they were
    // computed live, from the same values (subsequence i - d starts d values before the
    // newest); the newest is scored against them and then joins them, as in process().
    const auto history = static_cast<std::size_t>(std::min<std::uint64_t>(count - 1, config.history));
    const double* newest = out.values_.padded_window().data() + config.history + 1;
    std::vector<double> means(history), inverse_sds(history);
    for (std::size_t p = 0; p < history; ++p) {
      const auto terms = out.measure(newest - (history - p));
      means[p] = terms.shift;
      inverse_sds[p] = terms.scale;
    }
    out.shifts_.replay(count - 1, means);
    out.scales_.replay(count - 1, inverse_sds);
    out.measure_newest();
    if (out.is_ready()) {
      std::copy(snapshot.dot_products.begin(), snapshot.dot_products.end(),
                out.dot_products_.begin() + static_cast<std::ptrdiff_t>(out.first_candidate()));
      out.correlate(out.first_candidate(), out.dot_products_.size());
    }
    out.find_neighbor();
    out.remember_newest();
  }
  out.recent_scores_.assign_oldest_first(snapshot.rows_seen, snapshot.recent_scores);
  return out;
}

}  // namespace anomstream::subsequence
