#include "anomstream/stats/normalizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "anomstream/stats/detail/welford.hpp"

namespace anomstream::stats {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double MAX_FINITE = std::numeric_limits<double>::max();
// 1 / Phi^-1(3/4): the MAD of a normal sample times this estimates its stddev.
constexpr double MAD_TO_STDDEV = 1.482602218505602;

// Overflow (finite operands, infinite result) saturates at the largest finite double.
double saturate(double value) noexcept { return std::clamp(value, -MAX_FINITE, MAX_FINITE); }

// Zero spread (or no rows yet: max - min is -inf) -> scale 1; a spread too wide to
// represent (max - min overflowing) saturates.
double usable_scale(double spread) noexcept {
  return spread > 0.0 ? std::min(spread, MAX_FINITE) : 1.0;
}

// The median of values[0, n), n >= 1, reordering them; the mean of the middle two for
// even n.
double median_of(double* values, std::size_t n) noexcept {
  double* middle = values + n / 2;
  std::nth_element(values, middle, values + n);
  if (n % 2 == 1) return *middle;
  return std::midpoint(*std::max_element(values, middle), *middle);
}

Status check_row(std::span<const double> x, std::size_t dimension, std::string_view field) noexcept {
  if (x.size() != dimension) [[unlikely]] {
    return require_dimension(x.size(), dimension, field);
  }
  for (const double v : x) {
    if (!std::isfinite(v)) [[unlikely]] {
      return require_finite(x, field);
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(NormalizerKind kind) noexcept {
  switch (kind) {
    case NormalizerKind::none: return "none";
    case NormalizerKind::min_max: return "min_max";
    case NormalizerKind::z_score: return "z_score";
  }
  return "unknown";
}

Result<NormalizerKind> parse_normalizer_kind(std::string_view text, std::string_view field) {
  for (const auto kind : {NormalizerKind::none, NormalizerKind::min_max, NormalizerKind::z_score}) {
    if (text == to_string(kind)) return kind;
  }
  return fail(ErrorCode::parse_error, std::string(field),
              "must be one of none, min_max, z_score (got \"" + std::string(text) + "\")");
}

Normalizer<>::Normalizer(std::size_t dimension, const NormalizerConfig& config)
    : kind_(config.kind),
      clip_sigmas_(config.clip_sigmas),
      warmup_rows_(config.warmup_rows),
      mean_(dimension, 0.0),
      m2_(dimension, 0.0),
      min_(dimension, INF),
      max_(dimension, -INF) {
  if (std::isfinite(clip_sigmas_)) {
    warmup_.assign(dimension * warmup_rows_, 0.0);
    scratch_.assign(warmup_rows_, 0.0);
  }
}

Result<Normalizer<>> Normalizer<>::create(std::size_t dimension, const NormalizerConfig& config) {
  if (auto ok = require_in_range<std::size_t>(dimension, 1, MAX_DIMENSION, "dimension"); !ok) {
    return std::unexpected(ok.error());
  }
  if (config.kind != NormalizerKind::none && config.kind != NormalizerKind::min_max &&
      config.kind != NormalizerKind::z_score) {
    return fail(ErrorCode::invalid_config, "kind", "must be one of none, min_max, z_score");
  }
  // Written so that NaN fails too.
  if (!(config.clip_sigmas >= MIN_CLIP_SIGMAS)) {
    return fail(ErrorCode::invalid_config, "clip_sigmas",
                "must be in [2, +inf] (got " + format_number(config.clip_sigmas) + ")");
  }
  if (auto ok = require_in_range<std::size_t>(config.warmup_rows, MIN_WARMUP_ROWS, MAX_WARMUP_ROWS,
                                              "warmup_rows");
      !ok) {
    return std::unexpected(ok.error());
  }
  return Normalizer(dimension, config);
}

void Normalizer<>::add_row(std::span<const double> x) noexcept {
  if (!clipping()) {
    ++count_;
    for (std::size_t i = 0; i < x.size(); ++i) {
      detail::welford_add(count_, mean_[i], m2_[i], x[i]);
      min_[i] = std::min(min_[i], x[i]);
      max_[i] = std::max(max_[i], x[i]);
    }
    return;
  }
  if (count_ < warmup_rows_) {
    add_warmup_row(x);
    return;
  }
  // The bound comes from the statistics before this row. Inside it, which is nearly
  // always, the test needs no square root: delta^2 <= k^2 * m2 / n. Otherwise (outside,
  // m2 still 0, or delta^2 overflowing) the value is clamped to mean +/- k * scale
  // exactly, with the scale transform uses (1 for a zero variance).
  const double inverse_n = 1.0 / static_cast<double>(static_cast<std::int64_t>(count_));
  const double k = clip_sigmas_;
  const double k2_over_n = k * k * inverse_n;
  ++count_;
  const double inverse = 1.0 / static_cast<double>(static_cast<std::int64_t>(count_));
  // Locals, so the compiler need not reload the vectors' pointers after each store.
  double* means = mean_.data();
  double* m2s = m2_.data();
  double* mins = min_.data();
  double* maxs = max_.data();
  std::uint64_t clipped = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double mean = means[i];
    const double m2 = m2s[i];
    double value = x[i];
    double delta = value - mean;
    if (!(delta * delta <= m2 * k2_over_n)) [[unlikely]] {
      const double half = k * usable_scale(std::sqrt(m2 * inverse_n));
      const double bounded = std::clamp(value, mean - half, mean + half);
      if (bounded != value) {
        value = bounded;
        delta = value - mean;
        ++clipped;
      }
    }
    // Welford's update (as detail::welford_add) with the delta already formed.
    const double next_mean = mean + delta * inverse;
    means[i] = next_mean;
    m2s[i] = m2 + delta * (value - next_mean);
    mins[i] = std::min(mins[i], value);
    maxs[i] = std::max(maxs[i], value);
  }
  clipped_ += clipped;
}

void Normalizer<>::add_warmup_row(std::span<const double> x) noexcept {
  const std::size_t row = count_++;
  for (std::size_t i = 0; i < x.size(); ++i) warmup_[i * warmup_rows_ + row] = x[i];
  std::uint64_t clipped = 0;
  for (std::size_t i = 0; i < x.size(); ++i) clipped += refit_from_warmup(i);
  // Until the last warm-up row a value clipped now may not be later, so the count is
  // taken from the final winsorisation only.
  if (count_ == warmup_rows_) clipped_ += clipped;
}

std::uint64_t Normalizer<>::refit_from_warmup(std::size_t feature) noexcept {
  const std::size_t n = static_cast<std::size_t>(count_);
  const double* column = warmup_.data() + feature * warmup_rows_;
  double* scratch = scratch_.data();
  std::copy(column, column + n, scratch);
  const double centre = median_of(scratch, n);
  for (std::size_t r = 0; r < n; ++r) scratch[r] = std::abs(column[r] - centre);
  const double half = clip_sigmas_ * usable_scale(MAD_TO_STDDEV * median_of(scratch, n));
  const double low = centre - half;
  const double high = centre + half;
  double mean = 0.0, m2 = 0.0, min = INF, max = -INF;
  std::uint64_t clipped = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const double value = std::clamp(column[r], low, high);
    clipped += value != column[r] ? 1 : 0;
    detail::welford_add(r + 1, mean, m2, value);
    min = std::min(min, value);
    max = std::max(max, value);
  }
  mean_[feature] = mean;
  m2_[feature] = m2;
  min_[feature] = min;
  max_[feature] = max;
  return clipped;
}

Status Normalizer<>::fit(std::span<const double> rows) noexcept {
  const std::size_t d = dimension();
  if (rows.empty() || rows.size() % d != 0) {
    return fail(ErrorCode::dimension_mismatch, "rows",
                "length must be a positive multiple of " + std::to_string(d) + " (got " +
                    std::to_string(rows.size()) + ")");
  }
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (!std::isfinite(rows[k])) [[unlikely]] {
      return fail(ErrorCode::non_finite,
                  "rows[" + std::to_string(k / d) + "][" + std::to_string(k % d) + "]",
                  "must be finite");
    }
  }
  reset();
  for (std::size_t start = 0; start < rows.size(); start += d) {
    add_row(rows.subspan(start, d));
  }
  return {};
}

Status Normalizer<>::observe(std::span<const double> x) noexcept {
  if (auto ok = check_row(x, dimension(), "x"); !ok) [[unlikely]] {
    return ok;
  }
  add_row(x);
  return {};
}

double Normalizer<>::variance(std::size_t feature) const noexcept {
  return count_ < 2 ? 0.0 : m2_[feature] / static_cast<double>(count_);
}

double Normalizer<>::offset(std::size_t feature) const noexcept {
  if (count_ == 0) return 0.0;
  switch (kind_) {
    case NormalizerKind::none: return 0.0;
    case NormalizerKind::min_max: return min_[feature];
    case NormalizerKind::z_score: return mean_[feature];
  }
  return 0.0;
}

double Normalizer<>::scale(std::size_t feature) const noexcept {
  switch (kind_) {
    case NormalizerKind::none: return 1.0;
    case NormalizerKind::min_max: return usable_scale(max_[feature] - min_[feature]);
    case NormalizerKind::z_score: return usable_scale(std::sqrt(variance(feature)));
  }
  return 1.0;
}

// The kind is switched on once per call, not per feature.
template <class Visit>
void Normalizer<>::for_each_feature(Visit&& visit) const noexcept {
  const std::size_t d = dimension();
  if (count_ == 0 || kind_ == NormalizerKind::none) {
    for (std::size_t i = 0; i < d; ++i) visit(i, 0.0, 1.0);
  } else if (kind_ == NormalizerKind::min_max) {
    for (std::size_t i = 0; i < d; ++i) visit(i, min_[i], usable_scale(max_[i] - min_[i]));
  } else {
    const double inverse_n = count_ < 2 ? 0.0 : 1.0 / static_cast<double>(count_);
    for (std::size_t i = 0; i < d; ++i) {
      visit(i, mean_[i], usable_scale(std::sqrt(m2_[i] * inverse_n)));
    }
  }
}

Status Normalizer<>::transform(std::span<const double> x, std::span<double> out) const noexcept {
  if (auto ok = check_row(x, dimension(), "x"); !ok) [[unlikely]] {
    return ok;
  }
  if (out.size() != dimension()) [[unlikely]] {
    return require_dimension(out.size(), dimension(), "out");
  }
  for_each_feature([&](std::size_t i, double offset, double scale) {
    out[i] = saturate((x[i] - offset) / scale);
  });
  return {};
}

Status Normalizer<>::inverse_transform(std::span<const double> y,
                                       std::span<double> out) const noexcept {
  if (auto ok = check_row(y, dimension(), "y"); !ok) [[unlikely]] {
    return ok;
  }
  if (out.size() != dimension()) [[unlikely]] {
    return require_dimension(out.size(), dimension(), "out");
  }
  for_each_feature([&](std::size_t i, double offset, double scale) {
    out[i] = saturate(y[i] * scale + offset);
  });
  return {};
}

std::size_t Normalizer<>::memory_bytes() const noexcept {
  return sizeof(*this) + sizeof(double) * (mean_.capacity() + m2_.capacity() + min_.capacity() +
                                           max_.capacity() + warmup_.capacity() + scratch_.capacity());
}

void Normalizer<>::reset() noexcept {
  count_ = 0;
  clipped_ = 0;
  std::fill(mean_.begin(), mean_.end(), 0.0);
  std::fill(m2_.begin(), m2_.end(), 0.0);
  std::fill(min_.begin(), min_.end(), INF);
  std::fill(max_.begin(), max_.end(), -INF);
}

NormalizerSnapshot Normalizer<>::snapshot() const {
  NormalizerSnapshot out{.kind = kind_,
                         .count = count_,
                         .mean = mean_,
                         .m2 = m2_,
                         .min = min_,
                         .max = max_,
                         .clip_sigmas = clip_sigmas_,
                         .warmup_rows = warmup_rows_,
                         .clipped = clipped_,
                         .warmup = {}};
  if (warming_up()) {
    const std::size_t d = dimension();
    const auto rows = static_cast<std::size_t>(count_);
    out.warmup.resize(rows * d);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t i = 0; i < d; ++i) out.warmup[r * d + i] = warmup_[i * warmup_rows_ + r];
    }
  }
  return out;
}

Result<Normalizer<>> Normalizer<>::restore(const NormalizerSnapshot& snap) {
  const auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  const std::size_t d = snap.mean.size();
  if (snap.warmup_rows > MAX_WARMUP_ROWS) {  // before the narrowing to size_t below
    return corrupt("warmup_rows", "must be in [3, 1024] (got " + std::to_string(snap.warmup_rows) + ")");
  }
  auto created = create(d, NormalizerConfig{.kind = snap.kind,
                                            .clip_sigmas = snap.clip_sigmas,
                                            .warmup_rows = static_cast<std::size_t>(snap.warmup_rows)});
  if (!created) {
    return corrupt(created.error().field == "dimension" ? "mean" : created.error().field,
                   created.error().bound);
  }
  Normalizer normalizer = std::move(*created);
  if (snap.m2.size() != d) return corrupt("m2", "length must equal mean's");
  if (snap.min.size() != d) return corrupt("min", "length must equal mean's");
  if (snap.max.size() != d) return corrupt("max", "length must equal mean's");
  const bool warming = normalizer.clipping() && snap.count < snap.warmup_rows;
  const std::size_t warmup_length = warming ? static_cast<std::size_t>(snap.count) * d : 0;
  if (snap.warmup.size() != warmup_length) {
    return corrupt("warmup", "length must be count * dimension (" + std::to_string(warmup_length) +
                                 ") while warming up with clipping on, else 0 (got " +
                                 std::to_string(snap.warmup.size()) + ")");
  }
  for (std::size_t k = 0; k < snap.warmup.size(); ++k) {
    if (!std::isfinite(snap.warmup[k])) return corrupt("warmup[" + std::to_string(k) + "]", "must be finite");
  }
  // Clips are counted from the end of warm-up on, at most one per value that entered.
  const bool counting = normalizer.clipping() && !warming;
  if (!counting && snap.clipped != 0) {
    return corrupt("clipped", "must be 0 while warming up or with clipping off");
  }
  if (snap.clipped / d > snap.count || (snap.clipped / d == snap.count && snap.clipped % d != 0)) {
    return corrupt("clipped", "must be at most count * dimension");
  }
  for (std::size_t i = 0; i < d; ++i) {
    const auto at = [&](const char* name) { return std::string(name) + "[" + std::to_string(i) + "]"; };
    if (snap.count == 0) {
      if (snap.mean[i] != 0.0 || snap.m2[i] != 0.0 || snap.min[i] != INF || snap.max[i] != -INF) {
        return corrupt(at("mean"), "an empty snapshot must hold mean 0, m2 0, min +inf, max -inf");
      }
      continue;
    }
    if (!std::isfinite(snap.mean[i])) return corrupt(at("mean"), "must be finite");
    if (!std::isfinite(snap.m2[i]) || snap.m2[i] < 0.0) return corrupt(at("m2"), "must be finite and >= 0");
    if (!std::isfinite(snap.min[i]) || !std::isfinite(snap.max[i]) || snap.min[i] > snap.max[i]) {
      return corrupt(at("min"), "must be finite and <= max");
    }
    if (snap.count == 1 && (snap.m2[i] != 0.0 || snap.min[i] != snap.max[i])) {
      return corrupt(at("m2"), "a single row has m2 0 and min == max");
    }
  }
  if (warming) {
    // The warm-up statistics are derived from the buffered rows: recompute them and
    // require the snapshot's to match.
    for (std::size_t r = 0; r < snap.count; ++r) {
      normalizer.add_row(std::span(snap.warmup).subspan(r * d, d));
    }
    for (std::size_t i = 0; i < d; ++i) {
      const auto differs = [&](const char* name, double stored, double derived) -> Result<Normalizer> {
        return corrupt(std::string(name) + "[" + std::to_string(i) + "]",
                       "must equal the winsorised statistics of the warm-up rows (" + format_number(derived) +
                           ", got " + format_number(stored) + ")");
      };
      if (snap.mean[i] != normalizer.mean_[i]) return differs("mean", snap.mean[i], normalizer.mean_[i]);
      if (snap.m2[i] != normalizer.m2_[i]) return differs("m2", snap.m2[i], normalizer.m2_[i]);
      if (snap.min[i] != normalizer.min_[i]) return differs("min", snap.min[i], normalizer.min_[i]);
      if (snap.max[i] != normalizer.max_[i]) return differs("max", snap.max[i], normalizer.max_[i]);
    }
    return normalizer;
  }
  normalizer.count_ = snap.count;
  normalizer.clipped_ = snap.clipped;
  normalizer.mean_ = snap.mean;
  normalizer.m2_ = snap.m2;
  normalizer.min_ = snap.min;
  normalizer.max_ = snap.max;
  return normalizer;
}

}  // namespace anomstream::stats
