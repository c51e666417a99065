#pragma once
// SubsequenceKMeans: streaming subsequence k-means. A window of the last W rows of a
// d-feature stream is z-normalised as a whole and scored by its distance to the nearest
// of k centroids, so a window whose *shape* matches none of the usual shapes scores high.
//
// Method: KMeansAD as TSB-AD runs it (Liu & Paparrizos, NeurIPS 2024, adapted from the
// TimeEval algorithms), made streaming. Each window's
// d*W raw values (rows oldest first, features within a row) get one mean and one sample
// standard deviation (ddof = 1, as TSB-AD's zscore) and become (x - mean) / sd; there is
// no per-feature scaling first, which is what lets a flat channel next to a moving one
// keep its weight. A flat window (sd == 0, or sd at rounding level: sd <= 1e-12 |mean|)
// becomes zeros, as TSB-AD's nan_to_num does. The score is the Euclidean distance of the
// normalised window to its nearest centroid, computed before the window is learned.
// Warm-up: the first `warmup` learned windows are kept in a reservoir (a uniform sample of
// at most `reservoir` windows, Vitter's algorithm R) and the centroids are refitted from
// scratch with greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with sklearn's
// 2 + ln k candidates per centre) and Lloyd iterations after 2k, 4k, 8k, ... windows
// and at `warmup`; scores are 0 before the first fit. After the fit at `warmup` the
// reservoir is released and each learned window moves its nearest centroid by
// (window - centroid) / n, n = min(windows assigned so far + 1, max_count): a running
// mean that turns into an exponential average with memory of about max_count windows,
// so the model follows drift. Each centroid's n starts from its cluster's size at the
// last fit (scaled from the reservoir to the windows it stands for).
// Point scores: `newest` alignment gives row t the score of the window ending at t (no
// delay). `lagged` trades latency for localisation: the value reported at row t belongs
// to row t - W/2 and is the mean of the scores of the W/2 + 1 windows ending in
// [t - W/2, t], the windows covering that row seen so far (TSB-AD averages all W).
// Attribution: the squared distance is a sum over the d*W values, so value i's share of
// the score is (z_i - c_i)^2 / score, "high" when z_i > c_i and "low" otherwise; folded
// into lags and features like ShingledForest's (sums to the score).
// Memory (memory_bytes()): 16 d W (ring) + 8 d W (normalised window) + 8 k d W
// (centroids) + 8 k + 8 (W/2 + 1) bytes plus a constant; while warming up also a
// reservoir of 4 d W R bytes (floats, R = min(reservoir, warmup) windows) and the fit's
// scratch, 8 k d W + 8 k + 12 R bytes. All of it is allocated at construction; the
// reservoir and the scratch are released when warm-up ends. Nothing is allocated per row.
// Time: O(k d W) per row (one distance per centroid over contiguous doubles). A fit costs
// O((2 + ln k) k R d W) for seeding plus O(k R d W) per Lloyd iteration (at most
// max_iterations); the fits at doubling sizes cost at most twice the last one and run
// inline on the row that triggers them.
// Errors: create() rejects a config field outside its bound (invalid_config, naming the
// field); push() rejects a row of the wrong length (dimension_mismatch), non-finite
// values (non_finite) or values beyond +/-1e150 (invalid_input: their squares could
// overflow), leaving the state unchanged; restore() rejects a snapshot that breaks its
// invariants (corrupt_snapshot). Deterministic given `seed`; restore continues bit for bit.
// Limits: a fit sees only the warm-up windows, so a shape first seen later scores high
// until the online updates absorb it; a fit that lands inside an anomaly learns it as
// normal. There is no fixed-dimension front end (the window makes the working vector
// d*W long anyway), as for ShingledForest.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/mirrored_ring.hpp"
#include "anomstream/core/random.hpp"
#include "anomstream/forest/shingled_forest.hpp"
#include "anomstream/subsequence/detail/kmeans_fit.hpp"
#include "anomstream/subsequence/detail/recent_scores.hpp"
#include "anomstream/subsequence/score_alignment.hpp"

namespace anomstream::subsequence {

struct SubsequenceKMeansConfig {
  std::size_t dimension = 1;  // d: features per row, [1, MAX_DIMENSION]
  // W: rows per window, [2, MAX_WINDOW], with d * W <= MAX_WINDOW_VALUES. TSB-AD's tuned
  // KMeansAD uses 40.
  std::size_t window = 40;
  // k: centroids, [1, MAX_CLUSTERS]. TSB-AD's tuned KMeansAD uses 10.
  std::size_t clusters = 10;
  // Learned windows that warm the model up (refits at 2k, 4k, ... and here), [k, 1e9].
  std::size_t warmup = 2048;
  // Most warm-up windows kept for the fits, [k, MAX_RESERVOIR], with
  // min(reservoir, warmup) * d * W <= MAX_RESERVOIR_VALUES.
  std::size_t reservoir = 2048;
  // Largest n of the online update (the centroid's memory in windows), [1, 1e9].
  std::size_t max_count = 1000;
  // Most Lloyd iterations per fit, [1, 10000]; a fit stops earlier when no window
  // changes cluster.
  std::size_t max_iterations = 100;
  ScoreAlignment alignment = ScoreAlignment::newest;
  // w_new, [0, MAX_NEWEST_WEIGHT]: the score is sqrt(|x - c|^2 + w_new * |x_new - c_new|^2),
  // so the window's newest row counts 1 + w_new times. In the plain distance a change on
  // the newest row is one row of W, diluted by the other W - 1; 0 is TSB-AD's KMeansAD.
  // 4 was chosen on the development files (docs/quality.md). Fits, the online update and
  // the nearest centroid use the plain distance.
  double newest_weight = 4.0;
  std::uint64_t seed = 0;  // every random choice (reservoir, seeding) derives from it

  friend bool operator==(const SubsequenceKMeansConfig&, const SubsequenceKMeansConfig&) =
      default;
};

// The whole state, as plain data. The normalised window and the lag are derived.
struct SubsequenceKMeansSnapshot {
  SubsequenceKMeansConfig config;
  std::uint64_t rows_seen = 0;
  std::uint64_t windows_learned = 0;
  std::vector<double> recent;         // last min(rows_seen, W) rows, oldest first, d each
  std::vector<double> centroids;      // k * d * W once fitted, else empty
  std::vector<std::uint64_t> counts;  // k once fitted (each in [1, max_count]), else empty
  // While warming up (windows_learned < warmup): the min(windows_learned, reservoir)
  // kept windows, d * W each; empty after warm-up.
  std::vector<float> reservoir;
  Xoshiro256::State rng{};
  // Lagged alignment: the scores of the windows ending at the last W/2 + 1 rows, oldest
  // first (0 where no window ended); empty for newest alignment.
  std::vector<double> recent_scores;

  friend bool operator==(const SubsequenceKMeansSnapshot&, const SubsequenceKMeansSnapshot&) =
      default;
};

class SubsequenceKMeans {
 public:
  static constexpr std::size_t MAX_DIMENSION = 4096;
  static constexpr std::size_t MAX_WINDOW = 4096;
  static constexpr std::size_t MAX_WINDOW_VALUES = 65536;
  static constexpr std::size_t MAX_CLUSTERS = 256;
  static constexpr std::size_t MAX_RESERVOIR = std::size_t{1} << 20;
  static constexpr std::size_t MAX_RESERVOIR_VALUES = std::size_t{1} << 27;  // 512 MiB
  static constexpr std::size_t MAX_COUNT = 1'000'000'000;
  static constexpr std::size_t MAX_ITERATIONS = 10000;
  static constexpr double MAX_NEWEST_WEIGHT = 1e6;
  static constexpr double MAX_ABS_VALUE = 1e150;
  // A window with sd <= FLAT_RELATIVE * |mean| is flat (rounding level).
  static constexpr double FLAT_RELATIVE = 1e-12;

  [[nodiscard]] static Result<SubsequenceKMeans> create(const SubsequenceKMeansConfig& config);
  // Rebuilds the detector from a snapshot; it continues bit for bit.
  [[nodiscard]] static Result<SubsequenceKMeans> restore(const SubsequenceKMeansSnapshot& snapshot);

  // Appends one row (d values) and normalises the window ending at it.
  [[nodiscard]] Status push(std::span<const double> row) noexcept;
  // Distance of the current window to its nearest centroid as push() found it, with the
  // newest row weighted 1 + newest_weight, before the window is learned (0 until
  // is_ready(); after restore(), against the restored centroids).
  [[nodiscard]] double score() const noexcept;
  // What the nearest centroid says the newest row should be: its newest row mapped back
  // through the current window's mean and standard deviation (the mean for a flat
  // window). `out` holds d values. not_ready until is_ready() and the window is full.
  [[nodiscard]] Status expected_newest(std::span<double> out) const noexcept;
  // The current window's score split by lag (0 = newest row, with its weight) and
  // feature; the shares sum to score(). Zeros until is_ready(). Allocates its result.
  [[nodiscard]] Result<forest::LagAttribution> attribution() const;
  // Learns the current window: reservoir and refits while warming up, then the online
  // update. not_ready until the first window is full.
  [[nodiscard]] Status learn() noexcept;
  // push(row), score the window ending at it, then learn() it if `update`. Returns the
  // point score of the alignment: the window's score (newest), or the score of row
  // rows_seen() - 1 - lag() (lagged; 0 for the first lag() rows).
  [[nodiscard]] Result<double> process(std::span<const double> row, bool update = true) noexcept;

  // The current window z-normalised (d * W values, rows oldest first); empty until full.
  [[nodiscard]] std::span<const double> normalized_window() const noexcept;
  // k rows of d * W values once fitted, else empty.
  [[nodiscard]] std::span<const double> centroids() const noexcept;
  // Each centroid's n of the online update once fitted, else empty.
  [[nodiscard]] std::span<const std::uint64_t> counts() const noexcept;
  // Index of the centroid nearest to the current window as push() found it (0 until
  // is_ready()).
  [[nodiscard]] std::size_t nearest() const noexcept;

  [[nodiscard]] bool is_full() const noexcept { return ring_.is_full(); }
  // True once the first fit has happened: score() gives real scores.
  [[nodiscard]] bool is_ready() const noexcept { return windows_learned_ >= first_fit(); }
  [[nodiscard]] bool warmed_up() const noexcept { return windows_learned_ >= config_.warmup; }
  [[nodiscard]] std::uint64_t rows_seen() const noexcept { return ring_.pushed(); }
  [[nodiscard]] std::uint64_t windows_learned() const noexcept { return windows_learned_; }
  // Rows a lagged point score trails the stream by: W/2 (lagged), 0 (newest).
  [[nodiscard]] std::size_t lag() const noexcept;
  [[nodiscard]] const SubsequenceKMeansConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] SubsequenceKMeansSnapshot snapshot() const;

 private:
  explicit SubsequenceKMeans(const SubsequenceKMeansConfig& config);
  [[nodiscard]] std::size_t window_values() const noexcept { return normalized_.size(); }
  // Windows learned when the first fit happens: min(2k, warmup).
  [[nodiscard]] std::uint64_t first_fit() const noexcept;
  [[nodiscard]] bool is_fit_point(std::uint64_t windows) const noexcept;
  [[nodiscard]] std::size_t reservoir_capacity() const noexcept;
  void normalize() noexcept;
  void find_nearest() noexcept;
  void learn_with(std::size_t nearest_centroid) noexcept;
  void keep_in_reservoir() noexcept;
  void refit() noexcept;
  void move_centroid(std::size_t c) noexcept;
  [[nodiscard]] double record_score(double window_score) noexcept;

  SubsequenceKMeansConfig config_;
  MirroredRing ring_;
  std::vector<double> normalized_;  // derived from ring_
  std::vector<double> centroids_;
  std::vector<std::uint64_t> counts_;
  std::vector<float> reservoir_;
  detail::KMeansScratch scratch_;
  std::uint64_t windows_learned_ = 0;
  Xoshiro256 rng_;
  detail::RecentScores recent_scores_;  // lagged: W/2 + 1 window scores
  // Derived from ring_ and the centroids by push(): the current window's mean and
  // standard deviation (0 when flat), its nearest centroid and its weighted squared
  // distance to it.
  double window_mean_ = 0.0;
  double window_scale_ = 0.0;
  std::size_t nearest_ = 0;
  double nearest_squared_ = 0.0;
};

}  // namespace anomstream::subsequence
