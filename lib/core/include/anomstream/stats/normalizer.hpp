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
  // k: once warm, each value is clipped to mean +/- k * stddev before it updates the
  // statistics. At 4 a normal stream has 6e-5 of its values clipped and its stddev
  // estimated 0.006% low (the winsorised variance's fixed point), so clean statistics
  // are the exact ones in practice, while no single value can raise the variance by
  // more than about k^2 * variance / count. In [2, +inf]: below 2 the estimate runs
  // more than 5% low on normal data; +inf turns clipping and the warm-up buffer off
  // (plain Welford, every value counts in full).
  double clip_sigmas = 4.0;
  // Rows buffered to start the statistics: until this many rows, they are recomputed
  // from the buffer, winsorised around its median +/- k * 1.4826 * MAD, so up to
  // (warmup_rows - 1) / 2 extreme values anywhere in it are clipped. 32 is done before
  // a forest with the default sample size (256) scores, and costs 256 bytes per
  // feature. In [3, 1024]: 3 is the least sample whose median ignores one outlier.
  std::size_t warmup_rows = 32;
};

// Plain state of a Normalizer: the kind and the clipping parameters, the count of rows
// seen and of values clipped, and per feature the (winsorised) Welford mean and M2 plus
// the min and max of the values as they entered the statistics. While warming up (fewer
// than warmup_rows rows, clipping on) `warmup` holds the rows seen, row-major; it is
// empty otherwise. The dimension is mean.size().
struct NormalizerSnapshot {
  NormalizerKind kind = NormalizerKind::z_score;
  std::uint64_t count = 0;
  std::vector<double> mean;
  std::vector<double> m2;
  std::vector<double> min;
  std::vector<double> max;
  double clip_sigmas = 4.0;
  std::uint64_t warmup_rows = 32;
  std::uint64_t clipped = 0;
  std::vector<double> warmup;
  friend bool operator==(const NormalizerSnapshot&, const NormalizerSnapshot&) = default;
};

// Normalizer<> is the runtime-dimension engine; Normalizer<D> the fixed-dimension front
// end over it (like std::span's dynamic extent).
template <std::size_t D = std::dynamic_extent>
class Normalizer;

// Per-feature scaling of observation vectors before they reach a detector, so features
// on different scales weigh alike: min-max to [0, 1], z-score, or none. Statistics come
// from `fit` over a batch (which replaces them) and/or streaming `observe`; `transform`
// and `inverse_transform` apply the current statistics and are exact inverses up to
// rounding.
//
// The statistics resist extreme values by winsorising (Tukey & McLaughlin, Sankhya A
// 25, 1963; Huber, "Robust Statistics", 1981): a value enters them clipped to
// centre +/- k * spread, so one 1e30 cannot move the stddev or range that every later
// value is measured on. For the first warmup_rows rows the centre and spread are the
// median and 1.4826 * MAD of the rows so far (Hampel, JASA 69, 1974), with the
// winsorised mean and M2 recomputed from the buffered rows at each one, so an outlier
// in the very first rows is clipped too once three or more rows are in; after that the
// centre and spread are the running winsorised mean and stddev, updated by Welford's
// method with the clipped value. A clipped value still counts as a row at the bound, so
// a lasting change of level widens the spread by up to a factor (1 + (k^2 - 1) / count)
// in variance per row until it fits, instead of being ignored. Clipped values are
// counted (`clipped`).
//
// A feature with zero variance (z-score) or zero range (min-max), including every
// feature before the first observation, is given scale 1: it is shifted (x - mean, or
// x - min) but never divided by zero, so a constant feature maps to 0 and a later change
// shows in raw units; clipping uses the same unit spread, so such a feature is clipped
// at k raw units. Outputs that would overflow are clamped to +/- the largest finite
// double, so transform never yields inf or NaN.
//
// Memory: (32 + 8 * warmup_rows) * dimension + 8 * warmup_rows bytes plus a constant
//   (32 * dimension with clipping off).
// Time: O(dimension) per call, no allocation after `create`; each of the first
//   warmup_rows rows costs O(warmup_rows * dimension) (a selection per feature).
// Errors: a wrong length is ErrorCode::dimension_mismatch and a non-finite value
//   ErrorCode::non_finite, both naming the argument and index, and leave the statistics
//   unchanged; `fit` checks the whole batch before touching them.
// Failure modes: more than (warmup_rows - 1) / 2 extreme values among the warm-up rows
//   break the start, as for any median. A feature with more than half its warm-up rows
//   equal has MAD 0 and is clipped at k raw units, so a wider spread is learnt only at
//   the rate above. Heavy-tailed data has its stddev underestimated in proportion to the
//   share of values beyond k stddevs.
template <>
class Normalizer<std::dynamic_extent> {
 public:
  static constexpr std::size_t MAX_DIMENSION = std::size_t{1} << 20;
  static constexpr double MIN_CLIP_SIGMAS = 2.0;
  static constexpr std::size_t MIN_WARMUP_ROWS = 3;
  static constexpr std::size_t MAX_WARMUP_ROWS = 1024;

  // dimension in [1, MAX_DIMENSION]; kind one of the enumerators; clip_sigmas in
  // [MIN_CLIP_SIGMAS, +inf]; warmup_rows in [MIN_WARMUP_ROWS, MAX_WARMUP_ROWS]. An error
  // is ErrorCode::invalid_config naming the field and its bound.
  [[nodiscard]] static Result<Normalizer> create(std::size_t dimension,
                                                 const NormalizerConfig& config = {});

  // Replaces the statistics with those of `rows` (row-major, a positive multiple of
  // dimension() values), fed through the same warm-up and clipping as `observe`.
  [[nodiscard]] Status fit(std::span<const double> rows) noexcept;
  // Adds one row to the statistics, each value clipped as described above.
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
  [[nodiscard]] double clip_sigmas() const noexcept { return clip_sigmas_; }
  [[nodiscard]] std::size_t warmup_rows() const noexcept { return warmup_rows_; }
  // True while the statistics are recomputed from the buffered warm-up rows.
  [[nodiscard]] bool warming_up() const noexcept { return clipping() && count_ < warmup_rows_; }
  // Feature values clipped before they entered the statistics, over all features (for
  // all kinds: the statistics are kept for each). Never decreases except by `reset`,
  // `fit` or restore; the warm-up rows' clipped values are added once, at the last
  // warm-up row, since until then the buffer is re-winsorised at every row.
  [[nodiscard]] std::uint64_t clipped() const noexcept { return clipped_; }
  [[nodiscard]] std::span<const double> mean() const noexcept { return mean_; }
  [[nodiscard]] std::span<const double> min() const noexcept { return min_; }
  [[nodiscard]] std::span<const double> max() const noexcept { return max_; }
  // Population variance of feature i; 0 before two rows.
  [[nodiscard]] double variance(std::size_t feature) const noexcept;

  // Bytes held, the bound stated above.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  // Forgets all rows and the clipped count (keeps dimension and configuration).
  void reset() noexcept;

  [[nodiscard]] NormalizerSnapshot snapshot() const;
  // Rejects (ErrorCode::corrupt_snapshot, naming the field) an unknown kind, clipping
  // parameters out of their bounds, arrays of different or out-of-range length,
  // non-finite moments, m2 < 0, min > max, an empty state whose fields are not the empty
  // identities, a warm-up buffer whose length is not count rows while warming up (and 0
  // after) or whose statistics differ from the snapshot's, and more clipped values than
  // entered (any while warming up).
  [[nodiscard]] static Result<Normalizer> restore(const NormalizerSnapshot& snapshot);

 private:
  Normalizer(std::size_t dimension, const NormalizerConfig& config);
  [[nodiscard]] bool clipping() const noexcept { return !warmup_.empty(); }
  void add_row(std::span<const double> x) noexcept;
  void add_warmup_row(std::span<const double> x) noexcept;
  // Recomputes feature i's statistics from its first count_ buffered values, winsorised
  // around their median; returns how many were clipped.
  std::uint64_t refit_from_warmup(std::size_t feature) noexcept;
  // Calls visit(i, offset(i), scale(i)) for every feature.
  template <class Visit>
  void for_each_feature(Visit&& visit) const noexcept;

  NormalizerKind kind_;
  double clip_sigmas_;
  std::size_t warmup_rows_;
  std::uint64_t count_ = 0;
  std::uint64_t clipped_ = 0;
  std::vector<double> mean_;
  std::vector<double> m2_;
  std::vector<double> min_;
  std::vector<double> max_;
  // Feature-major, warmup_rows_ values per feature (empty with clipping off): feature i's
  // r-th row at [i * warmup_rows_ + r]. Only the first count_ rows are live.
  std::vector<double> warmup_;
  std::vector<double> scratch_;  // warmup_rows_ values for the median and MAD
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
  [[nodiscard]] std::uint64_t clipped() const noexcept { return engine_.clipped(); }
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
