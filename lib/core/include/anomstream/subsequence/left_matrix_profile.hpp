#pragma once
// LeftMatrixProfile: the streaming left matrix profile of a univariate stream. Each new
// subsequence (the newest m values) is scored by the z-normalised Euclidean distance to
// its nearest neighbour among the H subsequences that started before it, leaving out
// the trivial matches that overlap it by more than m - e values. A shape the recent past
// has not shown scores high (a discord); a repeated one scores near 0.
//
// Method: the left profile of STAMPI (Yeh et al., "Matrix Profile I", ICDM 2016, as
// stumpy's `stumpi(egress=False)` computes its `left_P_`) with a bounded history. For
// the newest subsequence i and a neighbour j = i - k (k in (e, H]) it keeps the dot
// product QT[k] = sum_t x[i+t] x[j+t] and moves it along its diagonal in O(1):
// QT_i[k] = QT_{i-1}[k] + x[i+m-1] x[j+m-1] - x[i-1] x[j-1], so a row costs O(H) for
// all neighbours. The distance is d = sqrt(2m (1 - rho)) with the Pearson correlation
// rho = (QT - m mu_i mu_j) / (m sd_i sd_j) (population sd, as stumpy), capped at 1;
// a squared distance below 1e-14 reads as 0 (stumpy's threshold). Each subsequence's
// mean and sd come from its m values by an exact two-pass sum, not a running one.
// Precision: the values are stored minus the first value seen, so a constant offset
// costs nothing. Each row recomputes one diagonal's dot product exactly (O(m); diagonal
// k at rows i = k mod H, round robin), so no dot product carries the rounding of more
// than H recurrence steps: a relative error in rho of about H * 2^-53 * max x^2 /
// (sd_i sd_j); against a brute-force search the tests measure at most 3e-11 on distances
// of order 1 (random walks, H = 300). As in stumpy, distances near 0
// carry an absolute error of about sqrt(2m * 1e-15) from the Pearson form, and a level
// that wanders many orders of magnitude above the local variation from the first value
// loses digits in the correlation.
// Constant subsequences, as stumpy: one with sd < 1e-7 (stumpy's STUMPY_STDDEV_THRESHOLD
// and the library's MatrixProfile) is flat; two flat subsequences are at distance 0, a
// flat and a non-flat one at sqrt(m).
// Ties: the oldest of equally near neighbours is reported (a flat one when a flat
// neighbour and a non-flat one tie at sqrt(m): the newest flat one).
// Without normalisation (`normalize = false`, stumpy's aamp) the distance is the plain
// Euclidean one, d^2 = |x_i|^2 + |x_j|^2 - 2 QT, from the same dot products; it is
// invariant to a common offset (so the stored values minus the first lose nothing) but
// not to level or scale, and there is no flat case.
// Point scores (`alignment`), as SubsequenceKMeans's: `newest` gives the row the
// distance of the subsequence ending at it (no delay). `lagged`: the value reported
// with row t belongs to row t - m/2 and is the mean distance of the m/2 + 1
// subsequences ending in [t - m/2, t], the subsequences covering that row seen so far.
// Scored before learned: the newest subsequence is not its own neighbour and joins the
// history after it is scored.
// Memory (memory_bytes()): 16 (H + m + 1) bytes of values (a mirrored ring), 32 H of
// per-subsequence terms (mean and 1 / sd, or |x|^2 / 2; two mirrored rings), 16 (H - e)
// of dot products and correlations, 8 (m/2 + 1) of lagged scores, plus a constant:
// about 64 H bytes, 263 KB at the default H = 4096. All of it is allocated at
// construction; nothing is allocated per row.
// Time: O(H + m) per row: one pass over the H - e diagonals that moves each dot product
// and its correlation term (contiguous doubles, no dependency between iterations, two
// positions per step so that GCC vectorises it at -O2), one lane-split maximum and a
// search for its position, one O(m) exact dot product and one O(m) mean and sd.
// Errors: create() rejects a config field outside its bound (invalid_config, naming the
// field); process() rejects a non-finite value (non_finite) and |value| > 1e150
// (invalid_input: products of two could overflow), leaving the state unchanged;
// restore() rejects a snapshot that breaks its invariants (corrupt_snapshot, naming
// the field). Deterministic; restore continues bit for bit.
// Limits: a neighbour older than H subsequences is forgotten, so a rare normal shape
// whose last occurrence is older scores as a discord; a repeated anomaly scores low from
// its second occurrence on (the matrix profile's twin-freak problem).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/mirrored_ring.hpp"
#include "anomstream/subsequence/detail/recent_scores.hpp"
#include "anomstream/subsequence/score_alignment.hpp"

namespace anomstream::subsequence {

struct LeftMatrixProfileConfig {
  // m: values per subsequence, [MIN_WINDOW, MAX_WINDOW]. 50 is the default window of
  // TSB-AD's and TimeEval's Left_STAMPi.
  std::size_t window = 50;
  // H: subsequences kept as candidate neighbours, (exclusion zone, MAX_HISTORY]. 4096
  // keeps one stream at about 263 KB (64 H bytes) and a row at a few microseconds; it
  // spans about 80 repetitions of a pattern as long as the default window.
  std::size_t history = 4096;
  // e: neighbours within e subsequences are trivial matches, [0, window]; 0 means
  // ceil(m/4), stumpy's default.
  std::size_t exclusion = 0;
  ScoreAlignment alignment = ScoreAlignment::newest;
  // true: z-normalised distance (the matrix profile). false: the plain Euclidean distance
  // of the subsequences as they are (stumpy's normalize=False, "aamp"), which keeps level
  // and amplitude: a subsequence at an unusual level or scale scores high even when its
  // shape is common.
  bool normalize = true;
  // Rows whose point score process() reports as 0 while they are learned, [0, 2^62]:
  // the first subsequences have few candidates, so their distances are inflated and not
  // comparable with later ones (TSB-AD's Left_STAMPi has an initial stretch too,
  // n_init_train). score() is not affected.
  std::uint64_t warmup = 0;

  friend bool operator==(const LeftMatrixProfileConfig&, const LeftMatrixProfileConfig&) =
      default;
};

// The whole state, as plain data. Means, sds, the score and the neighbour are derived.
struct LeftMatrixProfileSnapshot {
  LeftMatrixProfileConfig config;
  std::uint64_t rows_seen = 0;
  double reference = 0.0;      // the first value seen (0 before any)
  std::vector<double> recent;  // the last min(rows_seen, H + m + 1) values minus reference,
                               // oldest first
  // QT of the newest subsequence with each candidate neighbour that exists, oldest
  // first: min(i, H) - e values for newest subsequence i > e, else empty.
  std::vector<double> dot_products;
  // Lagged alignment: the distances of the subsequences ending at the last m/2 + 1 rows,
  // oldest first (0 where none ended); empty for newest alignment.
  std::vector<double> recent_scores;

  friend bool operator==(const LeftMatrixProfileSnapshot&, const LeftMatrixProfileSnapshot&) =
      default;
};

class LeftMatrixProfile {
 public:
  static constexpr std::size_t MIN_WINDOW = 3;
  static constexpr std::size_t MAX_WINDOW = 4096;
  static constexpr std::size_t MAX_HISTORY = std::size_t{1} << 22;  // 268 MB of state
  static constexpr std::uint64_t MAX_WARMUP = std::uint64_t{1} << 62;
  static constexpr double MAX_ABS_VALUE = 1e150;
  // A subsequence with a population sd below this is flat (stumpy's threshold).
  static constexpr double FLAT_SD = 1e-7;
  // A squared distance below this reads as 0 (stumpy's threshold).
  static constexpr double ZERO_SQUARED_DISTANCE = 1e-14;

  [[nodiscard]] static Result<LeftMatrixProfile> create(const LeftMatrixProfileConfig& config);
  // Rebuilds the detector from a snapshot; it continues bit for bit.
  [[nodiscard]] static Result<LeftMatrixProfile> restore(const LeftMatrixProfileSnapshot& snapshot);

  // Appends one value, scores the newest subsequence against the history, then adds it to
  // the history. Returns the point score of the alignment: the subsequence's distance
  // (newest), or the score of row rows_seen() - 1 - lag() (lagged); 0 until is_ready()
  // and for the first `warmup` rows.
  [[nodiscard]] Result<double> process(double value) noexcept;

  // The newest subsequence's distance to its nearest neighbour (0 until is_ready()).
  [[nodiscard]] double score() const noexcept { return score_; }
  // How many rows before the newest subsequence its nearest neighbour started (-1 if none).
  [[nodiscard]] std::int64_t neighbor_offset() const noexcept { return neighbor_offset_; }
  // True once the newest subsequence has at least one neighbour outside the exclusion zone.
  [[nodiscard]] bool is_ready() const noexcept;
  // What the nearest neighbour says the newest value should be: the value that ended the
  // neighbour, in the stream's units; with normalisation, mapped from the neighbour's mean
  // and standard deviation to the newest subsequence's (its mean when either is flat).
  // not_ready while there is no neighbour.
  [[nodiscard]] Result<double> expected_newest() const noexcept;
  // Where the newest subsequence differs most from its nearest neighbour: the lag (0 =
  // the newest value) of the largest squared difference of the pair (z-normalised with
  // normalisation). not_ready while there is no neighbour.
  [[nodiscard]] Result<std::size_t> top_lag() const noexcept;
  [[nodiscard]] std::uint64_t rows_seen() const noexcept { return values_.pushed(); }
  // The effective exclusion zone e (ceil(m/4) when the config says 0).
  [[nodiscard]] std::size_t exclusion_zone() const noexcept { return exclusion_; }
  // Rows a lagged point score trails the stream by: m/2 (lagged), 0 (newest).
  [[nodiscard]] std::size_t lag() const noexcept;
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] const LeftMatrixProfileConfig& config() const noexcept { return config_; }

  [[nodiscard]] LeftMatrixProfileSnapshot snapshot() const;

 private:
  explicit LeftMatrixProfile(const LeftMatrixProfileConfig& config);
  // Subsequences seen so far (the newest is number subsequences() - 1).
  [[nodiscard]] std::uint64_t subsequences() const noexcept;
  // Position of the oldest candidate diagonal that exists for the newest subsequence.
  [[nodiscard]] std::size_t first_candidate() const noexcept;
  [[nodiscard]] double exact_dot_product(std::size_t k) const noexcept;
  // What the distance needs of one subsequence: with z-normalisation its mean (shift)
  // and 1 / sd (scale; 0 for a flat one), so that rho ~ (QT - m mu_i shift_j) scale_j;
  // without, |x_j|^2 / 2 and 1, so that d^2 = |x_i|^2 - 2 (QT - shift_j).
  struct Terms {
    double shift = 0.0;
    double scale = 0.0;
  };
  [[nodiscard]] Terms measure(const double* x) const noexcept;
  // The newest subsequence and its nearest neighbour (values minus reference), with their
  // means and population sds when normalising (else 0).
  struct Pair {
    const double* newest = nullptr;
    const double* neighbor = nullptr;
    double mean = 0.0, sd = 0.0, neighbor_mean = 0.0, neighbor_sd = 0.0;
  };
  [[nodiscard]] Result<Pair> neighbor_pair() const noexcept;
  void measure_newest() noexcept;
  // a in correlations_[q] = (QT - a shift_j) scale_j: m mu_i, or 1 without normalisation.
  [[nodiscard]] double correlation_scale() const noexcept;
  // correlations_[q] for positions [first, last), from the dot products as they are.
  void correlate(std::size_t first, std::size_t last) noexcept;
  // Moves every existing diagonal one row on, with its correlation; restarts one exactly.
  void update_dot_products() noexcept;
  void find_neighbor() noexcept;
  void remember_newest() noexcept;
  [[nodiscard]] double record_score(double subsequence_score) noexcept;

  LeftMatrixProfileConfig config_;
  std::size_t exclusion_ = 0;
  double reference_ = 0.0;
  MirroredRing values_;         // H + m + 1 values minus reference_
  MirroredRing shifts_;  // Terms of the H subsequences before the newest
  MirroredRing scales_;
  std::vector<double> dot_products_;  // H - e, position q = H - k (oldest first)
  std::vector<double> correlations_;  // scratch: (QT - a shift_j) scale_j per position
  double shift_ = 0.0;                 // the newest subsequence's Terms
  double scale_ = 0.0;
  double score_ = 0.0;
  std::int64_t neighbor_offset_ = -1;
  detail::RecentScores recent_scores_;  // lagged: m/2 + 1 subsequence scores
};

}  // namespace anomstream::subsequence
