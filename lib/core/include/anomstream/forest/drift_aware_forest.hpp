#pragma once
// DriftAwareForest: a RandomCutForest that, when an attached change detector says the
// score stream has changed regime, trains a fresh shadow forest on the new regime and
// swaps it in once warmed, instead of waiting for the primary's reservoir to turn over.
//
// A forest with little or no time decay keeps scoring a new regime as anomalous for as
// long as old points dominate its sample (with time_decay 0, about as many points as it
// has already seen). Here every point is scored by the primary; the detector watches the
// active score (once the primary is past output_after), and when it fires the state
// becomes shadow_training: a new forest (the primary's config, seed derived from it and
// the generation) learns every following point while the primary keeps scoring and
// learning, and both scores are reported. After `shadow_warmup` shadow updates the
// shadow becomes the primary, the state returns to stable and the detector is reset
// (the swap itself moves the score level). A detector firing during training restarts
// the shadow on the newest regime. This is the "retrain on the new concept" response to
// a detected concept drift (Gama et al., ACM Computing Surveys 2014), with the old model
// kept in service until the new one is warm. The detector is any ChangeDetector; the
// forest module does not depend on the drift module, so the daemon adapts
// drift::MetaDriftDetector or drift::AdwinDetector to it.
// Memory (memory_bytes()): the primary's, plus a second forest of the same config while
// training (at most twice RandomCutForest's bound), plus the detector's own. Time: one
// forest score+update per point when stable, two while training; the point that starts
// training allocates the shadow. Failure modes: create() rejects an invalid forest
// config, shadow_warmup outside [max(1, output_after), 1e9] (invalid_config) and a
// missing detector; process() returns dimension_mismatch / non_finite / invalid_input
// for bad input with the state unchanged, and passes on a detector error (the forests
// have then learned the point); restore() returns corrupt_snapshot. The snapshot does
// not hold the detector: the caller snapshots its own detector and passes the restored
// one to restore() for a bit-for-bit continuation.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "anomstream/core/error.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/forest_snapshot.hpp"
#include "anomstream/forest/random_cut_forest.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream::forest {

// A change detector over a scalar score stream, as DriftAwareForest consumes it.
class ChangeDetector {
 public:
  ChangeDetector() = default;
  ChangeDetector(const ChangeDetector&) = delete;
  ChangeDetector& operator=(const ChangeDetector&) = delete;
  virtual ~ChangeDetector() = default;

  // Folds one score in; true when a change of regime is detected at this score.
  [[nodiscard]] virtual Result<bool> observe(double score) noexcept = 0;
  // Forgets the baseline, as after a change it caused itself (called after a swap).
  virtual void reset() noexcept = 0;
  [[nodiscard]] virtual std::size_t memory_bytes() const noexcept = 0;
};

inline constexpr std::uint64_t MAX_SHADOW_WARMUP = 1'000'000'000;

// 2 * sample_size: a shadow that has seen that many points has a full reservoir and
// scores like a settled forest.
[[nodiscard]] std::uint64_t default_shadow_warmup(std::size_t sample_size) noexcept;

struct DriftAwareForestConfig {
  ForestConfig forest;                // the primary's and every shadow's (seeds differ)
  std::uint64_t shadow_warmup = 512;  // shadow updates before the swap

  friend bool operator==(const DriftAwareForestConfig&, const DriftAwareForestConfig&) = default;
};

enum class DriftState : std::uint8_t { stable, shadow_training };

struct DriftAwareResult {
  double primary_score = 0;
  std::optional<double> shadow_score;     // while training (0 until the shadow is ready)
  double active_score = 0;                // the primary's: the one to alert on
  DriftState state = DriftState::stable;  // after this point
  bool change_detected = false;           // the detector fired at this point
  bool swapped = false;                   // the shadow became the primary after this point
};

struct DriftAwareForestSnapshot {
  DriftAwareForestConfig config;
  DriftState state = DriftState::stable;
  std::uint64_t generation = 0;      // shadows started so far (seeds derive from it)
  std::uint64_t shadow_updates = 0;  // while training
  std::uint64_t swaps = 0;
  ForestSnapshot primary;
  std::optional<ForestSnapshot> shadow;  // iff shadow_training

  friend bool operator==(const DriftAwareForestSnapshot&,
                         const DriftAwareForestSnapshot&) = default;
};

class DriftAwareForest {
 public:
  [[nodiscard]] static Result<DriftAwareForest> create(const DriftAwareForestConfig& config,
                                                       std::unique_ptr<ChangeDetector> detector,
                                                       std::shared_ptr<TreeExecutor> executor = {});
  // `detector` in the state it had when the snapshot was taken.
  [[nodiscard]] static Result<DriftAwareForest> restore(
      const DriftAwareForestSnapshot& snapshot, std::unique_ptr<ChangeDetector> detector,
      std::shared_ptr<TreeExecutor> executor = {});

  // Scores `point` with the primary (and the shadow while training), feeds the active
  // score to the detector and, if `update`, lets the forests learn the point.
  // Allocates only on the point that starts (or restarts) a shadow.
  [[nodiscard]] Result<DriftAwareResult> process(std::span<const double> point, bool update = true);

  [[nodiscard]] DriftState state() const noexcept {
    return shadow_ ? DriftState::shadow_training : DriftState::stable;
  }
  [[nodiscard]] const RandomCutForest& primary() const noexcept { return primary_; }
  // The shadow, nullptr when stable.
  [[nodiscard]] const RandomCutForest* shadow() const noexcept { return shadow_.get(); }
  [[nodiscard]] const ChangeDetector& detector() const noexcept { return *detector_; }
  [[nodiscard]] ChangeDetector& detector() noexcept { return *detector_; }
  [[nodiscard]] std::uint64_t swaps() const noexcept { return swaps_; }
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }
  [[nodiscard]] std::uint64_t shadow_updates() const noexcept { return shadow_updates_; }
  [[nodiscard]] const DriftAwareForestConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] DriftAwareForestSnapshot snapshot() const;

 private:
  DriftAwareForest(const DriftAwareForestConfig& config, RandomCutForest primary,
                   std::unique_ptr<ChangeDetector> detector,
                   std::shared_ptr<TreeExecutor> executor);
  // The config of the shadow of `generation`: the primary's with a derived seed.
  [[nodiscard]] ForestConfig shadow_config(std::uint64_t generation) const noexcept;

  DriftAwareForestConfig config_;
  RandomCutForest primary_;
  std::unique_ptr<RandomCutForest> shadow_;  // while training
  std::unique_ptr<ChangeDetector> detector_;
  std::shared_ptr<TreeExecutor> executor_;
  std::uint64_t generation_ = 0;
  std::uint64_t shadow_updates_ = 0;
  std::uint64_t swaps_ = 0;
};

}  // namespace anomstream::forest
