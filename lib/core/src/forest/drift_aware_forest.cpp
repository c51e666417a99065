#include "anomstream/forest/drift_aware_forest.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "anomstream/core/random.hpp"

namespace anomstream::forest {
namespace {

Status validate(const DriftAwareForestConfig& config) {
  if (auto s = validate_config(config.forest); !s) {
    Error e = s.error();
    e.field = "forest." + e.field;
    return std::unexpected(std::move(e));
  }
  const std::uint64_t min_warmup = std::max<std::uint64_t>(1, config.forest.output_after);
  return require_in_range(config.shadow_warmup, min_warmup, MAX_SHADOW_WARMUP, "shadow_warmup");
}

// `forest`'s config equals `base` apart from the seed.
bool same_but_seed(ForestConfig forest, const ForestConfig& base) noexcept {
  forest.seed = base.seed;
  return forest == base;
}

}  // namespace

std::uint64_t default_shadow_warmup(std::size_t sample_size) noexcept {
  return 2 * static_cast<std::uint64_t>(sample_size);
}

DriftAwareForest::DriftAwareForest(const DriftAwareForestConfig& config, RandomCutForest primary,
                                   std::unique_ptr<ChangeDetector> detector,
                                   std::shared_ptr<TreeExecutor> executor)
    : config_(config),
      primary_(std::move(primary)),
      detector_(std::move(detector)),
      executor_(std::move(executor)) {}

Result<DriftAwareForest> DriftAwareForest::create(const DriftAwareForestConfig& config,
                                                  std::unique_ptr<ChangeDetector> detector,
                                                  std::shared_ptr<TreeExecutor> executor) {
  if (auto s = validate(config); !s) return std::unexpected(s.error());
  if (detector == nullptr) {
    return fail(ErrorCode::invalid_config, "detector", "must not be null");
  }
  auto primary = RandomCutForest::create(config.forest, executor);
  if (!primary) return std::unexpected(primary.error());
  return DriftAwareForest(config, std::move(*primary), std::move(detector), std::move(executor));
}

Result<DriftAwareForest> DriftAwareForest::restore(const DriftAwareForestSnapshot& snapshot,
                                                   std::unique_ptr<ChangeDetector> detector,
                                                   std::shared_ptr<TreeExecutor> executor) {
  const DriftAwareForestConfig& config = snapshot.config;
  if (auto s = validate(config); !s) return std::unexpected(s.error());
  if (detector == nullptr) {
    return fail(ErrorCode::invalid_config, "detector", "must not be null");
  }
  const bool training = snapshot.state == DriftState::shadow_training;
  if (snapshot.state != DriftState::stable && !training) {
    return fail(ErrorCode::corrupt_snapshot, "state", "must be stable or shadow_training");
  }
  if (training != snapshot.shadow.has_value()) {
    return fail(ErrorCode::corrupt_snapshot, "shadow", "must be present iff shadow_training");
  }
  if (!training && snapshot.shadow_updates != 0) {
    return fail(ErrorCode::corrupt_snapshot, "shadow_updates", "must be 0 when stable");
  }
  if (training && snapshot.shadow_updates >= config.shadow_warmup) {
    return fail(ErrorCode::corrupt_snapshot, "shadow_updates", "must be < shadow_warmup");
  }
  if (snapshot.generation < snapshot.swaps + (training ? 1 : 0)) {
    return fail(ErrorCode::corrupt_snapshot, "generation", "must be >= swaps (+1 while training)");
  }
  if (!same_but_seed(snapshot.primary.config, config.forest)) {
    return fail(ErrorCode::corrupt_snapshot, "primary.config",
                "must equal config.forest apart from the seed");
  }
  auto primary = RandomCutForest::restore(snapshot.primary, executor);
  if (!primary) return std::unexpected(primary.error());
  DriftAwareForest out(config, std::move(*primary), std::move(detector), executor);
  out.generation_ = snapshot.generation;
  out.shadow_updates_ = snapshot.shadow_updates;
  out.swaps_ = snapshot.swaps;
  if (training) {
    if (!(snapshot.shadow->config == out.shadow_config(snapshot.generation))) {
      return fail(ErrorCode::corrupt_snapshot, "shadow.config",
                  "must equal config.forest with the seed of the generation");
    }
    if (snapshot.shadow->entries_seen != snapshot.shadow_updates) {
      return fail(ErrorCode::corrupt_snapshot, "shadow_updates", "must equal shadow.entries_seen");
    }
    auto shadow = RandomCutForest::restore(*snapshot.shadow, std::move(executor));
    if (!shadow) return std::unexpected(shadow.error());
    out.shadow_ = std::make_unique<RandomCutForest>(std::move(*shadow));
  }
  return out;
}

ForestConfig DriftAwareForest::shadow_config(std::uint64_t generation) const noexcept {
  ForestConfig config = config_.forest;
  Xoshiro256 mix(config.seed ^ (generation * 0x9e3779b97f4a7c15ULL));
  config.seed = mix();
  return config;
}

Result<DriftAwareResult> DriftAwareForest::process(std::span<const double> point, bool update) {
  DriftAwareResult out;
  // Scores before output_after are placeholder zeros: the detector does not see them.
  const bool scored = primary_.is_ready();
  // The primary validates the point; a rejected point changes nothing.
  auto primary = update ? primary_.score_and_update(point) : primary_.score(point);
  if (!primary) return std::unexpected(primary.error());
  out.primary_score = *primary;
  out.active_score = *primary;
  if (shadow_) {
    auto shadow = update ? shadow_->score_and_update(point) : shadow_->score(point);
    if (!shadow) return std::unexpected(shadow.error());
    out.shadow_score = *shadow;
    if (update) ++shadow_updates_;
  }
  if (scored) {
    auto fired = detector_->observe(out.active_score);
    if (!fired) return std::unexpected(fired.error());
    out.change_detected = *fired;
  }
  if (out.change_detected) {
    // A new shadow, or a fresh one when the regime moved again during training: it
    // learns from the next point on.
    ++generation_;
    auto shadow = RandomCutForest::create(shadow_config(generation_), executor_);
    if (!shadow) return std::unexpected(shadow.error());
    shadow_ = std::make_unique<RandomCutForest>(std::move(*shadow));
    shadow_updates_ = 0;
  } else if (shadow_ && shadow_updates_ >= config_.shadow_warmup) {
    primary_ = std::move(*shadow_);
    shadow_.reset();
    shadow_updates_ = 0;
    ++swaps_;
    detector_->reset();
    out.swapped = true;
  }
  out.state = state();
  return out;
}

std::size_t DriftAwareForest::memory_bytes() const noexcept {
  return sizeof(DriftAwareForest) - sizeof(RandomCutForest) + primary_.memory_bytes() +
         (shadow_ ? shadow_->memory_bytes() : 0) + detector_->memory_bytes();
}

DriftAwareForestSnapshot DriftAwareForest::snapshot() const {
  DriftAwareForestSnapshot out;
  out.config = config_;
  out.state = state();
  out.generation = generation_;
  out.shadow_updates = shadow_updates_;
  out.swaps = swaps_;
  out.primary = primary_.snapshot();
  if (shadow_) out.shadow = shadow_->snapshot();
  return out;
}

}  // namespace anomstream::forest
