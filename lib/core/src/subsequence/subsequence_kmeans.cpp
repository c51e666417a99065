#include "anomstream/subsequence/subsequence_kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "snapshot_errors.hpp"
#include "window_distance.hpp"

namespace anomstream::subsequence {
namespace {

using Self = SubsequenceKMeans;
using detail::corrupt;
using detail::wrong_length;

Status validate(const SubsequenceKMeansConfig& config) {
  if (auto ok = require_in_range<std::size_t>(config.dimension, 1, Self::MAX_DIMENSION, "dimension");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.window, 2, Self::MAX_WINDOW, "window"); !ok) {
    return ok;
  }
  if (config.window * config.dimension > Self::MAX_WINDOW_VALUES) {
    return fail(ErrorCode::invalid_config, "window",
                "window * dimension must be <= " + std::to_string(Self::MAX_WINDOW_VALUES) +
                    " (got " + std::to_string(config.window * config.dimension) + ")");
  }
  if (auto ok = require_in_range<std::size_t>(config.clusters, 1, Self::MAX_CLUSTERS, "clusters");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.warmup, config.clusters, Self::MAX_COUNT,
                                              "warmup");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.reservoir, config.clusters,
                                              Self::MAX_RESERVOIR, "reservoir");
      !ok) {
    return ok;
  }
  const std::size_t kept = std::min(config.reservoir, config.warmup);
  if (kept * config.window * config.dimension > Self::MAX_RESERVOIR_VALUES) {
    return fail(ErrorCode::invalid_config, "reservoir",
                "min(reservoir, warmup) * window * dimension must be <= " +
                    std::to_string(Self::MAX_RESERVOIR_VALUES) + " (got " +
                    std::to_string(kept * config.window * config.dimension) + ")");
  }
  if (auto ok = require_in_range<std::size_t>(config.max_count, 1, Self::MAX_COUNT, "max_count");
      !ok) {
    return ok;
  }
  if (auto ok = require_in_range<std::size_t>(config.max_iterations, 1, Self::MAX_ITERATIONS,
                                              "max_iterations");
      !ok) {
    return ok;
  }
  if (!is_valid(config.alignment)) {
    return fail(ErrorCode::invalid_config, "alignment", "must be newest or lagged");
  }
  if (!(config.newest_weight >= 0.0 && config.newest_weight <= Self::MAX_NEWEST_WEIGHT)) {
    return fail(ErrorCode::invalid_config, "newest_weight",
                "must be in [0, " + format_number(Self::MAX_NEWEST_WEIGHT) + "] (got " +
                    format_number(config.newest_weight) + ")");
  }
  return {};
}

// The row check push() and restore() share: finite and small enough to square.
Status check_values(std::span<const double> values, std::string_view field) noexcept {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!(std::abs(values[i]) <= Self::MAX_ABS_VALUE)) [[unlikely]] {
      if (!std::isfinite(values[i])) return require_finite(values, field);
      return fail(ErrorCode::invalid_input, std::string(field) + "[" + std::to_string(i) + "]",
                  "must be within [-1e+150, 1e+150] (got " + format_number(values[i]) + ")");
    }
  }
  return {};
}

template <class T>
bool all_finite(std::span<const T> values) noexcept {
  return std::all_of(values.begin(), values.end(), [](T v) { return std::isfinite(v); });
}

}  // namespace

SubsequenceKMeans::SubsequenceKMeans(const SubsequenceKMeansConfig& config)
    : config_(config),
      ring_(config.dimension, config.window),
      normalized_(config.dimension * config.window, 0.0),
      centroids_(config.clusters * config.dimension * config.window, 0.0),
      counts_(config.clusters, 0),
      scratch_(reservoir_capacity(), config.dimension * config.window, config.clusters),
      rng_(config.seed),
      recent_scores_(config.alignment == ScoreAlignment::lagged ? config.window / 2 + 1 : 0) {
  reservoir_.reserve(reservoir_capacity() * window_values());
}

Result<SubsequenceKMeans> SubsequenceKMeans::create(const SubsequenceKMeansConfig& config) {
  if (auto ok = validate(config); !ok) return std::unexpected(ok.error());
  return SubsequenceKMeans(config);
}

std::uint64_t SubsequenceKMeans::first_fit() const noexcept {
  return std::min<std::uint64_t>(2 * config_.clusters, config_.warmup);
}

bool SubsequenceKMeans::is_fit_point(std::uint64_t windows) const noexcept {
  if (windows == config_.warmup) return true;
  if (windows > config_.warmup || windows < first_fit() || windows % config_.clusters != 0) {
    return false;
  }
  const std::uint64_t doublings = windows / config_.clusters;
  return (doublings & (doublings - 1)) == 0;
}

std::size_t SubsequenceKMeans::reservoir_capacity() const noexcept {
  return std::min(config_.reservoir, config_.warmup);
}

std::size_t SubsequenceKMeans::lag() const noexcept {
  return config_.alignment == ScoreAlignment::lagged ? config_.window / 2 : 0;
}

Status SubsequenceKMeans::push(std::span<const double> row) noexcept {
  if (row.size() != config_.dimension) [[unlikely]] {
    return require_dimension(row.size(), config_.dimension, "row");
  }
  if (auto ok = check_values(row, "row"); !ok) [[unlikely]] {
    return ok;
  }
  ring_.push(row);
  if (ring_.is_full()) {
    normalize();
    find_nearest();
  }
  return {};
}

void SubsequenceKMeans::find_nearest() noexcept {
  nearest_ = 0;
  nearest_squared_ = 0.0;
  if (!is_full() || !is_ready()) return;
  const auto near = detail::nearest_centroid(normalized_.data(), centroids_.data(), config_.clusters,
                                             window_values());
  nearest_ = near.index;
  nearest_squared_ = near.squared_distance;
  if (config_.newest_weight > 0.0) {
    const std::size_t d = config_.dimension;
    const std::size_t newest = (config_.window - 1) * d;
    const double* x = normalized_.data() + newest;
    const double* c = centroids_.data() + nearest_ * window_values() + newest;
    double squared = 0.0;
    for (std::size_t j = 0; j < d; ++j) squared += (x[j] - c[j]) * (x[j] - c[j]);
    nearest_squared_ += config_.newest_weight * squared;
  }
}

void SubsequenceKMeans::normalize() noexcept {
  const double* x = ring_.window().data();
  const std::size_t n = window_values();
  double mean = detail::lane_sum(n, [x](std::size_t i) { return x[i]; }) / static_cast<double>(n);
  // One correction pass: a constant window then has a mean equal to its value.
  mean += detail::lane_sum(n, [x, mean](std::size_t i) { return x[i] - mean; }) /
          static_cast<double>(n);
  const double squares = detail::lane_sum(n, [x, mean](std::size_t i) {
    return (x[i] - mean) * (x[i] - mean);
  });
  const double sd = std::sqrt(squares / static_cast<double>(n - 1));
  window_mean_ = mean;
  window_scale_ = 0.0;
  if (!(sd > FLAT_RELATIVE * std::abs(mean))) {
    std::fill(normalized_.begin(), normalized_.end(), 0.0);
    return;
  }
  window_scale_ = sd;
  const double inverse = 1.0 / sd;
  for (std::size_t i = 0; i < n; ++i) normalized_[i] = (x[i] - mean) * inverse;
}

std::span<const double> SubsequenceKMeans::normalized_window() const noexcept {
  if (!is_full()) return {};
  return normalized_;
}

std::span<const double> SubsequenceKMeans::centroids() const noexcept {
  if (!is_ready()) return {};
  return centroids_;
}

std::span<const std::uint64_t> SubsequenceKMeans::counts() const noexcept {
  if (!is_ready()) return {};
  return counts_;
}

std::size_t SubsequenceKMeans::nearest() const noexcept { return nearest_; }

double SubsequenceKMeans::score() const noexcept { return std::sqrt(nearest_squared_); }

Status SubsequenceKMeans::expected_newest(std::span<double> out) const noexcept {
  const std::size_t d = config_.dimension;
  if (out.size() != d) return fail(ErrorCode::dimension_mismatch, "out", "must hold dimension values");
  if (!is_full() || !is_ready()) return fail(ErrorCode::not_ready, "centroids", "needs the first fit");
  const double* newest = centroids_.data() + nearest_ * window_values() + (config_.window - 1) * d;
  for (std::size_t j = 0; j < d; ++j) out[j] = window_mean_ + window_scale_ * newest[j];
  return {};
}

Result<forest::LagAttribution> SubsequenceKMeans::attribution() const {
  const std::size_t d = config_.dimension;
  const std::size_t w = config_.window;
  forest::LagAttribution out;
  out.by_lag.assign(w, forest::DiVector(d));
  out.by_feature = forest::DiVector(d);
  const double distance = score();
  if (!(distance > 0.0)) return out;
  const double* centre = centroids_.data() + nearest() * window_values();
  // Window position p (0 = oldest) holds the row w - 1 - p steps back.
  for (std::size_t p = 0; p < w; ++p) {
    forest::DiVector& lag = out.by_lag[w - 1 - p];
    const double weight = p + 1 == w ? 1.0 + config_.newest_weight : 1.0;
    for (std::size_t j = 0; j < d; ++j) {
      const double diff = normalized_[p * d + j] - centre[p * d + j];
      const double share = weight * diff * diff / distance;
      (diff > 0.0 ? lag.high : lag.low)[j] = share;
      (diff > 0.0 ? out.by_feature.high : out.by_feature.low)[j] += share;
    }
  }
  return out;
}

Status SubsequenceKMeans::learn() noexcept {
  if (!is_full()) {
    return fail(ErrorCode::not_ready, "window",
                "needs window = " + std::to_string(config_.window) + " rows (got " +
                    std::to_string(ring_.pushed()) + ")");
  }
  learn_with(nearest_);
  return {};
}

void SubsequenceKMeans::learn_with(std::size_t nearest_centroid) noexcept {
  if (is_ready()) move_centroid(nearest_centroid);
  ++windows_learned_;
  if (windows_learned_ > config_.warmup) return;
  keep_in_reservoir();
  if (is_fit_point(windows_learned_)) refit();
  if (windows_learned_ == config_.warmup) {
    std::vector<float>().swap(reservoir_);
    scratch_ = {};
  }
}

void SubsequenceKMeans::move_centroid(std::size_t c) noexcept {
  const std::uint64_t n = std::min<std::uint64_t>(counts_[c] + 1, config_.max_count);
  counts_[c] = n;
  const double rate = 1.0 / static_cast<double>(n);
  double* centre = centroids_.data() + c * window_values();
  for (std::size_t i = 0; i < window_values(); ++i) {
    centre[i] += rate * (normalized_[i] - centre[i]);
  }
}

void SubsequenceKMeans::keep_in_reservoir() noexcept {
  // Vitter's algorithm R over the windows learned so far (windows_learned_ counts this one).
  const std::size_t n = window_values();
  std::size_t slot = reservoir_.size() / n;
  if (slot >= reservoir_capacity()) {
    slot = static_cast<std::size_t>(rng_.below(windows_learned_));
    if (slot >= reservoir_capacity()) return;
  } else {
    reservoir_.resize(reservoir_.size() + n);  // within the capacity reserved at creation
  }
  float* out = reservoir_.data() + slot * n;
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(normalized_[i]);
}

void SubsequenceKMeans::refit() noexcept {
  const std::size_t kept = reservoir_.size() / window_values();
  detail::fit_kmeans(reservoir_, window_values(), config_.clusters, config_.max_iterations, rng_,
                     centroids_, scratch_);
  // Each centroid stands for its share of all the windows learned, not just those kept.
  const double scale = static_cast<double>(windows_learned_) / static_cast<double>(kept);
  for (std::size_t c = 0; c < config_.clusters; ++c) {
    const double stands_for = std::round(static_cast<double>(scratch_.sizes[c]) * scale);
    counts_[c] = static_cast<std::uint64_t>(
        std::clamp(stands_for, 1.0, static_cast<double>(config_.max_count)));
  }
}

double SubsequenceKMeans::record_score(double window_score) noexcept {
  if (config_.alignment == ScoreAlignment::newest) return window_score;
  const std::size_t slots = recent_scores_.size();
  recent_scores_.record(ring_.pushed() - 1, window_score);
  if (ring_.pushed() < slots) return 0.0;
  double sum = 0.0;
  for (const double s : recent_scores_.values()) sum += s;
  return sum / static_cast<double>(slots);
}

Result<double> SubsequenceKMeans::process(std::span<const double> row, bool update) noexcept {
  if (auto ok = push(row); !ok) [[unlikely]] {
    return std::unexpected(ok.error());
  }
  const double window_score = score();
  if (update && is_full()) learn_with(nearest_);
  return record_score(window_score);
}

std::size_t SubsequenceKMeans::memory_bytes() const noexcept {
  return sizeof(SubsequenceKMeans) + ring_.memory_bytes() +
         (normalized_.capacity() + centroids_.capacity()) * sizeof(double) +
         recent_scores_.memory_bytes() +
         counts_.capacity() * sizeof(std::uint64_t) + reservoir_.capacity() * sizeof(float) +
         scratch_.memory_bytes();
}

SubsequenceKMeansSnapshot SubsequenceKMeans::snapshot() const {
  SubsequenceKMeansSnapshot out;
  out.config = config_;
  out.rows_seen = ring_.pushed();
  out.windows_learned = windows_learned_;
  out.recent = ring_.recent();
  if (is_ready()) {
    out.centroids = centroids_;
    out.counts = counts_;
  }
  out.reservoir = reservoir_;
  out.rng = rng_.state();
  out.recent_scores = recent_scores_.oldest_first(ring_.pushed());
  return out;
}

Result<SubsequenceKMeans> SubsequenceKMeans::restore(const SubsequenceKMeansSnapshot& snapshot) {
  const auto& config = snapshot.config;
  if (auto ok = validate(config); !ok) return corrupt("config." + ok.error().field, ok.error().bound);
  SubsequenceKMeans out(config);
  const std::size_t d = config.dimension;
  const std::size_t n = out.window_values();
  const auto kept_rows = static_cast<std::size_t>(
      std::min<std::uint64_t>(snapshot.rows_seen, config.window));
  if (snapshot.recent.size() != kept_rows * d) {
    return wrong_length("recent", kept_rows * d, snapshot.recent.size());
  }
  if (auto ok = check_values(snapshot.recent, "recent"); !ok) {
    return corrupt(ok.error().field, ok.error().bound);
  }
  const std::uint64_t windows =
      snapshot.rows_seen >= config.window ? snapshot.rows_seen - config.window + 1 : 0;
  if (snapshot.windows_learned > windows) {
    return corrupt("windows_learned", "must be <= the windows seen, " + std::to_string(windows));
  }
  out.windows_learned_ = snapshot.windows_learned;
  const bool ready = out.is_ready();
  if (snapshot.centroids.size() != (ready ? out.centroids_.size() : 0)) {
    return wrong_length("centroids", ready ? out.centroids_.size() : 0, snapshot.centroids.size());
  }
  if (!all_finite<double>(snapshot.centroids)) return corrupt("centroids", "must be finite");
  if (snapshot.counts.size() != (ready ? config.clusters : 0)) {
    return wrong_length("counts", ready ? config.clusters : 0, snapshot.counts.size());
  }
  for (const std::uint64_t c : snapshot.counts) {
    if (c < 1 || c > config.max_count) return corrupt("counts", "each must be in [1, max_count]");
  }
  const std::size_t kept_windows =
      out.warmed_up() ? 0
                      : static_cast<std::size_t>(std::min<std::uint64_t>(
                            snapshot.windows_learned, out.reservoir_capacity()));
  if (snapshot.reservoir.size() != kept_windows * n) {
    return wrong_length("reservoir", kept_windows * n, snapshot.reservoir.size());
  }
  if (!all_finite<float>(snapshot.reservoir)) return corrupt("reservoir", "must be finite");
  if (snapshot.recent_scores.size() != out.recent_scores_.size()) {
    return wrong_length("recent_scores", out.recent_scores_.size(), snapshot.recent_scores.size());
  }
  for (const double s : snapshot.recent_scores) {
    if (!(s >= 0.0 && std::isfinite(s))) return corrupt("recent_scores", "each must be finite and >= 0");
  }
  if (snapshot.rng == Xoshiro256::State{}) return corrupt("rng", "must not be all zeros");

  out.ring_.replay(snapshot.rows_seen, snapshot.recent);
  if (out.is_full()) out.normalize();
  if (ready) {
    std::copy(snapshot.centroids.begin(), snapshot.centroids.end(), out.centroids_.begin());
    std::copy(snapshot.counts.begin(), snapshot.counts.end(), out.counts_.begin());
  }
  if (out.warmed_up()) {
    std::vector<float>().swap(out.reservoir_);
    out.scratch_ = {};
  } else {
    out.reservoir_.assign(snapshot.reservoir.begin(), snapshot.reservoir.end());
  }
  out.find_nearest();
  out.rng_.set_state(snapshot.rng);
  out.recent_scores_.assign_oldest_first(snapshot.rows_seen, snapshot.recent_scores);
  return out;
}

}  // namespace anomstream::subsequence
