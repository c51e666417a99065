#include "anomstream/drift/feature_drift_detector.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace anomstream::drift {
namespace {

constexpr std::size_t MAX_DIMENSION = 65536;
constexpr std::size_t MAX_BINS = 1000;
constexpr std::size_t MAX_SAMPLE = 10'000'000;
constexpr double MAX_SMOOTHING = 1000.0;
// Bound on dimension * reference_size (8 bytes each while the reference is collected)
// and dimension * window_size (2 bytes each), so a valid config cannot ask for more
// than about 800 MB.
constexpr std::size_t MAX_VALUES = 100'000'000;
constexpr double UNUSED_EDGE = std::numeric_limits<double>::infinity();

Status validate(const FeatureDriftDetectorConfig& config) {
  if (auto s = require_in_range<std::size_t>(config.dimension, 1, MAX_DIMENSION, "dimension");
      !s) {
    return s;
  }
  if (auto s = require_in_range<std::size_t>(config.bins, 2, MAX_BINS, "bins"); !s) {
    return s;
  }
  if (auto s = require_in_range<std::size_t>(config.reference_size, config.bins, MAX_SAMPLE,
                                             "reference_size");
      !s) {
    return s;
  }
  if (auto s = require_in_range<std::size_t>(config.window_size, config.bins, MAX_SAMPLE,
                                             "window_size");
      !s) {
    return s;
  }
  for (const auto& [size, name] : {std::pair{config.reference_size, "reference_size"},
                                   std::pair{config.window_size, "window_size"}}) {
    if (size > MAX_VALUES / config.dimension) {
      return fail(ErrorCode::invalid_config, name,
                  "dimension * " + std::string(name) + " must be <= " +
                      std::to_string(MAX_VALUES) + " (got " +
                      std::to_string(config.dimension) + " * " + std::to_string(size) + ")");
    }
  }
  if (!(config.smoothing > 0.0 && config.smoothing <= MAX_SMOOTHING)) {
    return fail(ErrorCode::invalid_config, "smoothing",
                "must be in (0, " + format_number(MAX_SMOOTHING) + "] (got " +
                    format_number(config.smoothing) + ")");
  }
  return {};
}

std::unexpected<Error> corrupt(std::string field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
}

std::string wrong_length(std::size_t expected, std::size_t got) {
  return "length must be " + std::to_string(expected) + " (got " + std::to_string(got) + ")";
}

}  // namespace

FeatureDriftDetectorEngine::FeatureDriftDetectorEngine(FeatureDriftDetectorConfig config)
    : config_(config),
      edges_(config.dimension * config.bins, UNUSED_EDGE),
      reference_counts_(config.dimension * (config.bins + 1), 0),
      window_counts_(config.dimension * (config.bins + 1), 0),
      ring_(config.window_size * config.dimension, 0),
      bins_used_(config.dimension, 0),
      reference_proportion_(config.dimension * (config.bins + 1), 0.0),
      log_reference_proportion_(config.dimension * (config.bins + 1), 0.0),
      report_(config.dimension) {}

Result<FeatureDriftDetectorEngine> FeatureDriftDetectorEngine::create(
    const FeatureDriftDetectorConfig& config) {
  if (auto s = validate(config); !s) {
    return std::unexpected(std::move(s).error());
  }
  FeatureDriftDetectorEngine engine(config);
  engine.reference_.assign(config.dimension * config.reference_size, 0.0);
  return engine;
}

std::size_t FeatureDriftDetectorEngine::bins_used(std::size_t feature) const noexcept {
  return feature < bins_used_.size() ? bins_used_[feature] : 0;
}

std::uint16_t FeatureDriftDetectorEngine::bin_of(std::size_t feature, double x) const noexcept {
  // The number of edges below x (unused edges are +inf, never below a finite x), by a
  // branch-free binary search: the comparisons are data-dependent and would mispredict.
  const double* const row = edges_.data() + feature * config_.bins;
  const double* base = row;
  std::size_t n = config_.bins;
  while (n > 1) {
    const std::size_t half = n / 2;
    base = base[half] < x ? base + half : base;
    n -= half;
  }
  return static_cast<std::uint16_t>((base - row) + (*base < x ? 1 : 0));
}

void FeatureDriftDetectorEngine::freeze_reference() noexcept {
  const std::size_t n = config_.reference_size;
  const std::size_t bins = config_.bins;
  for (std::size_t j = 0; j < config_.dimension; ++j) {
    const auto first = reference_.begin() + static_cast<std::ptrdiff_t>(j * n);
    std::sort(first, first + static_cast<std::ptrdiff_t>(n));
    double* edges = edges_.data() + j * bins;
    std::size_t count = 0;
    const double minimum = first[0];
    if (first[static_cast<std::ptrdiff_t>(n / bins)] == minimum) {
      // The lowest quantile is an atom at the minimum: give values below the reference's
      // range their own bin, (-inf, minimum).
      edges[count++] = std::nextafter(minimum, -UNUSED_EDGE);
    }
    for (std::size_t i = 1; i < bins; ++i) {
      const double q = first[static_cast<std::ptrdiff_t>(i * n / bins)];
      if (count == 0 || q > edges[count - 1]) {
        edges[count++] = q;
      }
    }
    bins_used_[j] = static_cast<std::uint16_t>(count + 1);
  }
  for (std::size_t j = 0; j < config_.dimension; ++j) {
    for (std::size_t i = 0; i < n; ++i) {
      ++reference_counts_[j * (bins + 1) + bin_of(j, reference_[j * n + i])];
    }
  }
  std::vector<double>().swap(reference_);  // releases the raw reference
  derive_reference_proportions();
}

void FeatureDriftDetectorEngine::derive_reference_proportions() noexcept {
  const std::size_t stride = config_.bins + 1;
  const auto n = static_cast<double>(config_.reference_size);
  for (std::size_t j = 0; j < config_.dimension; ++j) {
    const double total = n + config_.smoothing * static_cast<double>(bins_used_[j]);
    for (std::size_t b = 0; b < bins_used_[j]; ++b) {
      const double p =
          (static_cast<double>(reference_counts_[j * stride + b]) + config_.smoothing) / total;
      reference_proportion_[j * stride + b] = p;
      log_reference_proportion_[j * stride + b] = std::log(p);
    }
  }
}

Status FeatureDriftDetectorEngine::observe(std::span<const double> point) noexcept {
  const std::size_t d = config_.dimension;
  if (point.size() != d) [[unlikely]] {
    return require_dimension(point.size(), d, "point");
  }
  bool finite = true;
  for (const double x : point) {
    finite &= std::isfinite(x);
  }
  if (!finite) [[unlikely]] {
    return require_finite(point, "point");
  }
  ++observations_;
  if (!reference_ready()) {
    for (std::size_t j = 0; j < d; ++j) {
      reference_[j * config_.reference_size + reference_seen_] = point[j];
    }
    if (++reference_seen_ == config_.reference_size) {
      freeze_reference();
    }
    return {};
  }
  const std::size_t stride = config_.bins + 1;
  std::uint16_t* slot = ring_.data() + ring_next_ * d;
  const bool evict = window_filled_ == config_.window_size;
  for (std::size_t j = 0; j < d; ++j) {
    if (evict) {
      --window_counts_[j * stride + slot[j]];
    }
    slot[j] = bin_of(j, point[j]);
    ++window_counts_[j * stride + slot[j]];
  }
  ring_next_ = ring_next_ + 1 == config_.window_size ? 0 : ring_next_ + 1;
  window_filled_ += evict ? 0 : 1;
  return {};
}

Result<std::span<const FeatureDrift>> FeatureDriftDetectorEngine::report() noexcept {
  if (!reference_ready()) {
    return fail(ErrorCode::not_ready, "reference",
                "needs " + std::to_string(config_.reference_size) + " observations (got " +
                    std::to_string(reference_seen_) + ")");
  }
  if (window_filled_ < config_.window_size) {
    return fail(ErrorCode::not_ready, "window",
                "needs " + std::to_string(config_.window_size) + " observations (got " +
                    std::to_string(window_filled_) + ")");
  }
  const std::size_t stride = config_.bins + 1;
  const auto n = static_cast<double>(config_.window_size);
  for (std::size_t j = 0; j < config_.dimension; ++j) {
    const double total = n + config_.smoothing * static_cast<double>(bins_used_[j]);
    double psi = 0.0;
    double kl = 0.0;
    for (std::size_t b = 0; b < bins_used_[j]; ++b) {
      const std::size_t at = j * stride + b;
      const double q = (static_cast<double>(window_counts_[at]) + config_.smoothing) / total;
      const double log_ratio = std::log(q) - log_reference_proportion_[at];
      psi += (q - reference_proportion_[at]) * log_ratio;
      kl += q * log_ratio;
    }
    report_[j] = FeatureDrift{.psi = psi, .kl = kl};
  }
  return std::span<const FeatureDrift>(report_);
}

FeatureDriftDetectorSnapshot FeatureDriftDetectorEngine::snapshot() const {
  const std::size_t d = config_.dimension;
  FeatureDriftDetectorSnapshot out;
  out.config = config_;
  out.observations = observations_;
  if (!reference_ready()) {
    out.reference_values.resize(reference_seen_ * d);
    for (std::size_t i = 0; i < reference_seen_; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        out.reference_values[i * d + j] = reference_[j * config_.reference_size + i];
      }
    }
    return out;
  }
  out.edges = edges_;
  out.reference_counts = reference_counts_;
  out.window.reserve(window_filled_ * d);
  // Oldest first: before the window is full that is slot 0, afterwards the next slot.
  const std::size_t oldest = window_filled_ < config_.window_size ? 0 : ring_next_;
  for (std::size_t i = 0; i < window_filled_; ++i) {
    const std::size_t slot = (oldest + i) % config_.window_size;
    out.window.insert(out.window.end(), ring_.begin() + static_cast<std::ptrdiff_t>(slot * d),
                      ring_.begin() + static_cast<std::ptrdiff_t>((slot + 1) * d));
  }
  return out;
}

Result<FeatureDriftDetectorEngine> FeatureDriftDetectorEngine::restore(
    const FeatureDriftDetectorSnapshot& snapshot) {
  const FeatureDriftDetectorConfig& config = snapshot.config;
  if (auto s = validate(config); !s) {
    return corrupt("config." + s.error().field, s.error().bound);
  }
  const std::size_t d = config.dimension;
  const std::size_t bins = config.bins;
  FeatureDriftDetectorEngine engine(config);
  engine.observations_ = snapshot.observations;

  if (snapshot.edges.empty()) {
    // Still collecting the reference.
    const std::size_t rows = snapshot.reference_values.size() / d;
    if (snapshot.reference_values.size() % d != 0 || rows >= config.reference_size) {
      return corrupt("reference_values", "must hold fewer than reference_size rows of " +
                                             std::to_string(d) + " values");
    }
    if (!require_finite(snapshot.reference_values, "reference_values")) {
      return corrupt("reference_values", "must be finite");
    }
    if (!snapshot.reference_counts.empty() || !snapshot.window.empty()) {
      return corrupt(snapshot.window.empty() ? "reference_counts" : "window",
                     "must be empty while the reference is collected");
    }
    if (snapshot.observations != rows) {
      return corrupt("observations", "must equal the reference rows while collecting");
    }
    engine.reference_.assign(d * config.reference_size, 0.0);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < d; ++j) {
        engine.reference_[j * config.reference_size + i] = snapshot.reference_values[i * d + j];
      }
    }
    engine.reference_seen_ = rows;
    return engine;
  }

  if (!snapshot.reference_values.empty()) {
    return corrupt("reference_values", "must be empty once the reference is frozen");
  }
  if (snapshot.edges.size() != d * bins) {
    return corrupt("edges", wrong_length(d * bins, snapshot.edges.size()));
  }
  if (snapshot.reference_counts.size() != d * (bins + 1)) {
    return corrupt("reference_counts",
                   wrong_length(d * (bins + 1), snapshot.reference_counts.size()));
  }
  for (std::size_t j = 0; j < d; ++j) {
    const std::string row = "[" + std::to_string(j) + "]";
    const double* edges = snapshot.edges.data() + j * bins;
    std::size_t used = 0;
    while (used < bins && std::isfinite(edges[used]) &&
           (used == 0 || edges[used] > edges[used - 1])) {
      ++used;
    }
    if (used == 0 || std::any_of(edges + used, edges + bins,
                                 [](double e) { return e != UNUSED_EDGE; })) {
      return corrupt("edges" + row,
                     "must be at least one finite, strictly increasing edge, then +inf");
    }
    engine.bins_used_[j] = static_cast<std::uint16_t>(used + 1);
    const std::uint32_t* counts = snapshot.reference_counts.data() + j * (bins + 1);
    std::uint64_t total = 0;
    for (std::size_t b = 0; b <= bins; ++b) {
      if (b > used && counts[b] != 0) {
        return corrupt("reference_counts" + row, "must be 0 past the feature's last bin");
      }
      total += counts[b];
    }
    if (total != config.reference_size) {
      return corrupt("reference_counts" + row, "must sum to reference_size");
    }
  }
  const std::size_t rows = snapshot.window.size() / d;
  if (snapshot.window.size() % d != 0 || rows > config.window_size) {
    return corrupt("window",
                   "must hold at most window_size rows of " + std::to_string(d) + " values");
  }
  if (snapshot.observations < config.reference_size + rows) {
    return corrupt("observations", "must be >= reference_size + window rows");
  }
  engine.edges_ = snapshot.edges;
  engine.reference_counts_ = snapshot.reference_counts;
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      const std::uint16_t bin = snapshot.window[i * d + j];
      if (bin >= engine.bins_used_[j]) {
        return corrupt("window[" + std::to_string(i * d + j) + "]",
                       "must be below the feature's bin count");
      }
      engine.ring_[i * d + j] = bin;
      ++engine.window_counts_[j * (bins + 1) + bin];
    }
  }
  engine.reference_seen_ = config.reference_size;
  engine.window_filled_ = rows;
  engine.ring_next_ = rows % config.window_size;
  engine.derive_reference_proportions();
  return engine;
}

}  // namespace anomstream::drift
