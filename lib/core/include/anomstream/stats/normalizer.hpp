#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::stats {

enum class NormalizerKind : std::uint8_t {
  none,     // y = x
  min_max,  // y = (x - min) / (max - min): the fitted range maps to [0, 1]
  z_score,  // y = (x - mean) / stddev (population stddev)
};

// "none", "min_max", "z_score".
[[nodiscard]] std::string_view to_string(NormalizerKind kind) noexcept;
// Inverse of to_string; anything else is ErrorCode::parse_error naming `field`.
[[nodiscard]] Result<NormalizerKind> parse_normalizer_kind(std::string_view text,
                                                           std::string_view field = "kind");

struct NormalizerConfig {
  NormalizerKind kind = NormalizerKind::z_score;
};

// Plain state of a Normalizer: the kind and, per feature, Welford's mean and M2 plus
// the exact min and max over the `count` rows seen. The dimension is means.size().
struct NormalizerSnapshot {
  NormalizerKind kind = NormalizerKind::z_score;
  std::uint64_t count = 0;
  std::vector<double> mean;
  std::vector<double> m2;
  std::vector<double> min;
  std::vector<double> max;
  friend bool operator==(const NormalizerSnapshot&, const NormalizerSnapshot&) = default;
};

// Normalizer<> is the runtime-dimension engine; Normalizer<D> the fixed-dimension front
// end over it (like std::span's dynamic extent).
template <std::size_t D = std::dynamic_extent>
class Normalizer;

// Per-feature scaling of observation vectors before they reach a detector, so features
// on different scales weigh alike: min-max to [0, 1], z-score, or none. Statistics come
// from `fit` over a batch (which replaces them) and/or streaming `observe` (Welford's
// update per feature, as in OnlineStats); `transform` and `inverse_transform` apply the
// current statistics and are exact inverses up to rounding. A feature with zero
// variance (z-score) or zero range (min-max), including every feature before the first
// observation, is given scale 1: it is shifted (x - mean, or x - min) but never divided
// by zero, so a constant feature maps to 0 and a later change shows in raw units.
// Outputs that would overflow are clamped to +/- the largest finite double, so
// transform never yields inf or NaN. Memory: 32 * dimension bytes plus a constant;
// time: O(dimension) per call, no allocation after `create`. Failure modes: a wrong
// length is ErrorCode::dimension_mismatch and a non-finite value ErrorCode::non_finite,
// both naming the argument and index, and leave the statistics unchanged; `fit` checks
// the whole batch before touching them.
template <>
class Normalizer<std::dynamic_extent> {
 public:
  static constexpr std::size_t MAX_DIMENSION = std::size_t{1} << 20;

  // dimension in [1, MAX_DIMENSION]; kind one of the enumerators.
  [[nodiscard]] static Result<Normalizer> create(std::size_t dimension,
                                                 const NormalizerConfig& config = {});

  // Replaces the statistics with those of `rows`: row-major, a positive multiple of
  // dimension() values.
  [[nodiscard]] Status fit(std::span<const double> rows) noexcept;
  // Adds one row to the statistics.
  [[nodiscard]] Status observe(std::span<const double> x) noexcept;
  // out[i] = (x[i] - offset(i)) / scale(i). `out` may be `x` itself.
  [[nodiscard]] Status transform(std::span<const double> x, std::span<double> out) const noexcept;
  // out[i] = y[i] * scale(i) + offset(i). `out` may be `y` itself.
  [[nodiscard]] Status inverse_transform(std::span<const double> y,
                                         std::span<double> out) const noexcept;

  // What transform subtracts from and divides feature i by (0 and 1 for kind none).
  [[nodiscard]] double offset(std::size_t feature) const noexcept;
  [[nodiscard]] double scale(std::size_t feature) const noexcept;

  [[nodiscard]] std::size_t dimension() const noexcept { return mean_.size(); }
  [[nodiscard]] NormalizerKind kind() const noexcept { return kind_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::span<const double> mean() const noexcept { return mean_; }
  [[nodiscard]] std::span<const double> min() const noexcept { return min_; }
  [[nodiscard]] std::span<const double> max() const noexcept { return max_; }
  // Population variance of feature i; 0 before two rows.
  [[nodiscard]] double variance(std::size_t feature) const noexcept;

  // Forgets all rows (keeps dimension and kind).
  void reset() noexcept;

  [[nodiscard]] NormalizerSnapshot snapshot() const;
  // Rejects (ErrorCode::corrupt_snapshot) an unknown kind, arrays of different or
  // out-of-range length, non-finite moments, m2 < 0, min > max, and an empty state whose
  // fields are not the empty identities.
  [[nodiscard]] static Result<Normalizer> restore(const NormalizerSnapshot& snapshot);

 private:
  Normalizer(std::size_t dimension, NormalizerKind kind);
  void add_row(std::span<const double> x) noexcept;
  // Calls visit(i, offset(i), scale(i)) for every feature.
  template <class Visit>
  void for_each_feature(Visit&& visit) const noexcept;

  NormalizerKind kind_;
  std::uint64_t count_ = 0;
  std::vector<double> mean_;
  std::vector<double> m2_;
  std::vector<double> min_;
  std::vector<double> max_;
};

// Fixed-dimension front end: the same engine with std::array rows and results, for
// callers whose dimension is known at compile time. Same bounds and failure modes (the
// dimension can no longer be wrong, except in a restored snapshot).
template <std::size_t D>
class Normalizer {
  static_assert(D >= 1 && D <= Normalizer<>::MAX_DIMENSION, "dimension out of range");

 public:
  using Point = std::array<double, D>;

  [[nodiscard]] static Result<Normalizer> create(const NormalizerConfig& config = {}) {
    auto engine = Normalizer<>::create(D, config);
    if (!engine) return std::unexpected(engine.error());
    return Normalizer(std::move(*engine));
  }

  // Replaces the statistics with those of `rows` (at least one).
  [[nodiscard]] Status fit(std::span<const Point> rows) noexcept {
    if (rows.empty()) {
      return engine_.fit({});  // reports the empty batch
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (std::size_t i = 0; i < D; ++i) {
        if (!std::isfinite(rows[r][i])) [[unlikely]] {
          return fail(ErrorCode::non_finite,
                      "rows[" + std::to_string(r) + "][" + std::to_string(i) + "]",
                      "must be finite");
        }
      }
    }
    engine_.reset();
    for (const Point& row : rows) {
      (void)engine_.observe(row);  // cannot fail: checked above
    }
    return {};
  }
  [[nodiscard]] Status observe(const Point& x) noexcept { return engine_.observe(x); }
  [[nodiscard]] Result<Point> transform(const Point& x) const noexcept {
    Point out;
    if (auto ok = engine_.transform(x, out); !ok) return std::unexpected(ok.error());
    return out;
  }
  [[nodiscard]] Result<Point> inverse_transform(const Point& y) const noexcept {
    Point out;
    if (auto ok = engine_.inverse_transform(y, out); !ok) return std::unexpected(ok.error());
    return out;
  }

  [[nodiscard]] double offset(std::size_t feature) const noexcept { return engine_.offset(feature); }
  [[nodiscard]] double scale(std::size_t feature) const noexcept { return engine_.scale(feature); }
  [[nodiscard]] static constexpr std::size_t dimension() noexcept { return D; }
  [[nodiscard]] NormalizerKind kind() const noexcept { return engine_.kind(); }
  [[nodiscard]] std::uint64_t count() const noexcept { return engine_.count(); }
  [[nodiscard]] double variance(std::size_t feature) const noexcept {
    return engine_.variance(feature);
  }
  [[nodiscard]] const Normalizer<>& engine() const noexcept { return engine_; }
  void reset() noexcept { engine_.reset(); }

  [[nodiscard]] NormalizerSnapshot snapshot() const { return engine_.snapshot(); }
  // As the engine's restore, and the snapshot must have dimension D.
  [[nodiscard]] static Result<Normalizer> restore(const NormalizerSnapshot& snapshot) {
    if (snapshot.mean.size() != D) {
      return fail(ErrorCode::corrupt_snapshot, "mean",
                  "length must be " + std::to_string(D) + " (got " +
                      std::to_string(snapshot.mean.size()) + ")");
    }
    auto engine = Normalizer<>::restore(snapshot);
    if (!engine) return std::unexpected(engine.error());
    return Normalizer(std::move(*engine));
  }

 private:
  explicit Normalizer(Normalizer<>&& engine) noexcept : engine_(std::move(engine)) {}
  Normalizer<> engine_;
};

}  // namespace anomstream::stats
