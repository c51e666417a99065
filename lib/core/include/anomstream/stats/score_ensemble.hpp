#pragma once
// ScoreEnsemble: combines the scores of several streaming detectors whose scales differ
// (a forest's depth ratio, a k-means distance) by first turning each member's score into
// a tail probability against that member's own recent scores, then combining the
// probabilities.
//
// Calibration: member j keeps its last `history` scores (a ring). A new score s gets
// the tail probability p = (1 + #{recent >= s}) / (n + 1) of the empirical distribution
// of the n recent scores (the conformal p-value: for exchangeable scores it is uniform up
// to the 1 / (n + 1) grid). Above the threshold u that has m = floor(tail_fraction * n)
// recent scores above it, the tail is an exponential fit instead (peaks over threshold
// with the generalised Pareto shape fixed at 0, Pickands 1975; the form SPOT starts from,
// Siffer et al. KDD 2017): p = (e / (n + 1)) exp(-(s - u) / sigma), e the recent scores
// above u and sigma their mean excess over u (the exponential's maximum-likelihood scale,
// in closed form; drift::PotDetector fits the full generalised Pareto tail). The fit
// keeps scores beyond the largest recent one apart instead of tying them all at
// 1 / (n + 1). A member's value is its surprise -ln p >= 0, 0 until it holds
// `min_history` scores.
// Combining: `max` takes the largest surprise (Tippett's minimum p-value: an anomaly
// that shows in one member is enough, the case when members look at different things);
// `sum` adds them (Fisher's method: evidence spread over the members adds up; it ranks
// rows as drift::fisher_combine's p-value would, that being monotone in the sum).
// Each process() call scores first and then learns: the new scores join the history
// only after they were calibrated, so a score never counts against itself.
// Memory (memory_bytes()): 16 * members * history bytes (each member's scores in arrival
// order and sorted) and 8 * members of surprises, plus a constant, all allocated at
// construction.
// Time: per call and member, two binary searches for the tail probability, a sum over the
// at most tail_fraction * history scores of the tail, and one insertion into the sorted
// copy (a move of up to 8 * history bytes); no allocation.
// Errors: create() rejects a config field outside its bound (invalid_config); process()
// rejects a wrong number of scores (dimension_mismatch) or a non-finite one (non_finite)
// with the state unchanged; restore() rejects a snapshot that breaks its invariants
// (corrupt_snapshot). Deterministic; restore continues bit for bit.
// Limits: the history is the null distribution, so an anomaly longer than about
// tail_fraction * history rows raises the threshold against itself, and after `history`
// rows it is the normal; a short history also makes the surprises local (the same score
// means less in a noisy stretch), so they rank badly across a long series. Members are treated as independent, which they rarely are; the
// combined value ranks rows, it is not a calibrated probability.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::stats {

// How members' surprises combine (see ScoreEnsemble).
enum class EnsembleRule : std::uint8_t { max, sum };

// "max", "sum".
[[nodiscard]] std::string_view to_string(EnsembleRule rule) noexcept;

struct ScoreEnsembleConfig {
  std::size_t members = 2;      // detectors combined, [1, MAX_MEMBERS]
  // Recent scores per member, [2, MAX_HISTORY]. Long, so that a surprise means the same
  // across a long stretch of the stream: with 1024 the TSB-AD-M evaluation's ranking
  // fell apart (docs/quality.md).
  std::size_t history = 65536;
  std::size_t min_history = 32;  // scores a member needs before it counts, [1, history]
  // Share of the history the exponential tail describes, (0, 0.5]; at least one score.
  double tail_fraction = 0.05;
  EnsembleRule rule = EnsembleRule::max;

  friend bool operator==(const ScoreEnsembleConfig&, const ScoreEnsembleConfig&) = default;
};

// The whole state, as plain data.
struct ScoreEnsembleSnapshot {
  ScoreEnsembleConfig config;
  std::uint64_t seen = 0;  // process() calls that succeeded
  // Per member, its last min(seen, history) scores, oldest first (member 0 first).
  std::vector<double> recent;

  friend bool operator==(const ScoreEnsembleSnapshot&, const ScoreEnsembleSnapshot&) = default;
};

class ScoreEnsemble {
 public:
  static constexpr std::size_t MAX_MEMBERS = 64;
  static constexpr std::size_t MAX_HISTORY = std::size_t{1} << 20;

  [[nodiscard]] static Result<ScoreEnsemble> create(const ScoreEnsembleConfig& config);
  [[nodiscard]] static Result<ScoreEnsemble> restore(const ScoreEnsembleSnapshot& snapshot);

  // One score per member for the same row: returns the combined surprise, then adds the
  // scores to the members' histories.
  [[nodiscard]] Result<double> process(std::span<const double> scores) noexcept;

  // The surprise -ln p of score s for `member` against its current history (0 while it
  // holds fewer than min_history scores). Does not change the state.
  [[nodiscard]] double surprise(std::size_t member, double s) const noexcept;
  // Each member's surprise from the last process() call.
  [[nodiscard]] std::span<const double> surprises() const noexcept { return surprises_; }

  [[nodiscard]] std::uint64_t seen() const noexcept { return seen_; }
  [[nodiscard]] const ScoreEnsembleConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] ScoreEnsembleSnapshot snapshot() const;

 private:
  explicit ScoreEnsemble(const ScoreEnsembleConfig& config);
  [[nodiscard]] std::size_t held() const noexcept;
  // The member's held scores in ascending order.
  [[nodiscard]] std::span<const double> sorted_of(std::size_t member) const noexcept;
  void learn(std::size_t member, double score) noexcept;

  ScoreEnsembleConfig config_;
  std::vector<double> history_;  // members * history, a ring per member (arrival order)
  std::vector<double> sorted_;   // members * history, the same scores sorted (derived)
  std::vector<double> surprises_;
  std::uint64_t seen_ = 0;
};

}  // namespace anomstream::stats
