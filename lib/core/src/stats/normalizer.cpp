#include "anomstream/stats/normalizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "anomstream/stats/detail/welford.hpp"

namespace anomstream::stats {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double MAX_FINITE = std::numeric_limits<double>::max();

// Overflow (finite operands, infinite result) saturates at the largest finite double.
double saturate(double value) noexcept { return std::clamp(value, -MAX_FINITE, MAX_FINITE); }

// Zero spread (or no rows yet: max - min is -inf) -> scale 1; a spread too wide to
// represent (max - min overflowing) saturates.
double usable_scale(double spread) noexcept {
  return spread > 0.0 ? std::min(spread, MAX_FINITE) : 1.0;
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

Normalizer<>::Normalizer(std::size_t dimension, NormalizerKind kind)
    : kind_(kind),
      mean_(dimension, 0.0),
      m2_(dimension, 0.0),
      min_(dimension, INF),
      max_(dimension, -INF) {}

Result<Normalizer<>> Normalizer<>::create(std::size_t dimension, const NormalizerConfig& config) {
  if (auto ok = require_in_range<std::size_t>(dimension, 1, MAX_DIMENSION, "dimension"); !ok) {
    return std::unexpected(ok.error());
  }
  if (config.kind != NormalizerKind::none && config.kind != NormalizerKind::min_max &&
      config.kind != NormalizerKind::z_score) {
    return fail(ErrorCode::invalid_config, "kind", "must be one of none, min_max, z_score");
  }
  return Normalizer(dimension, config.kind);
}

void Normalizer<>::add_row(std::span<const double> x) noexcept {
  ++count_;
  for (std::size_t i = 0; i < x.size(); ++i) {
    detail::welford_add(count_, mean_[i], m2_[i], x[i]);
    min_[i] = std::min(min_[i], x[i]);
    max_[i] = std::max(max_[i], x[i]);
  }
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

void Normalizer<>::reset() noexcept {
  count_ = 0;
  std::fill(mean_.begin(), mean_.end(), 0.0);
  std::fill(m2_.begin(), m2_.end(), 0.0);
  std::fill(min_.begin(), min_.end(), INF);
  std::fill(max_.begin(), max_.end(), -INF);
}

NormalizerSnapshot Normalizer<>::snapshot() const {
  return NormalizerSnapshot{kind_, count_, mean_, m2_, min_, max_};
}

Result<Normalizer<>> Normalizer<>::restore(const NormalizerSnapshot& snap) {
  const auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  const std::size_t d = snap.mean.size();
  auto created = create(d, NormalizerConfig{snap.kind});
  if (!created) {
    return corrupt(created.error().field == "dimension" ? "mean" : created.error().field,
                   created.error().bound);
  }
  if (snap.m2.size() != d) return corrupt("m2", "length must equal mean's");
  if (snap.min.size() != d) return corrupt("min", "length must equal mean's");
  if (snap.max.size() != d) return corrupt("max", "length must equal mean's");
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
  Normalizer normalizer = std::move(*created);
  normalizer.count_ = snap.count;
  normalizer.mean_ = snap.mean;
  normalizer.m2_ = snap.m2;
  normalizer.min_ = snap.min;
  normalizer.max_ = snap.max;
  return normalizer;
}

}  // namespace anomstream::stats
