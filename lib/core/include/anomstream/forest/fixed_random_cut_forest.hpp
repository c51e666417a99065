#pragma once
// FixedRandomCutForest<D>: a RandomCutForest whose dimension is part of the type.
//
// The fixed-dimension front end over the runtime engine (ARCHITECTURE.md's
// `RandomCutForest<D>`; named FixedRandomCutForest because C++ cannot give a class and a
// class template the same name in one namespace). Input is std::array<double, D>, so a
// wrong length is a compile error; everything else (scores, snapshots, memory, errors for
// non-finite values) is the engine's, which `engine()` exposes. Memory and time: those
// of RandomCutForest with dimension D.

#include <array>
#include <cstddef>
#include <memory>
#include <span>

#include "anomstream/forest/forest_builder.hpp"
#include "anomstream/forest/random_cut_forest.hpp"

namespace anomstream::forest {

template <std::size_t D>
class FixedRandomCutForest {
  static_assert(D >= MIN_DIMENSION && D <= MAX_DIMENSION, "dimension must be in [1, 10000]");

 public:
  using Point = std::array<double, D>;
  static constexpr std::size_t DIMENSION = D;

  // Builds with `builder`'s settings and dimension D (any dimension set there is replaced).
  [[nodiscard]] static Result<FixedRandomCutForest> build(ForestBuilder builder) {
    auto forest = builder.dimension(D).build();
    if (!forest) {
      return std::unexpected(forest.error());
    }
    return FixedRandomCutForest(std::move(*forest));
  }
  [[nodiscard]] static Result<FixedRandomCutForest> restore(
      const ForestSnapshot& snapshot, std::shared_ptr<TreeExecutor> executor = {}) {
    if (snapshot.config.dimension != D) {
      return fail(ErrorCode::incompatible, "dimension", "must be " + std::to_string(D));
    }
    auto forest = RandomCutForest::restore(snapshot, std::move(executor));
    if (!forest) {
      return std::unexpected(forest.error());
    }
    return FixedRandomCutForest(std::move(*forest));
  }

  [[nodiscard]] Status update(const Point& point) noexcept { return engine_.update(point); }
  [[nodiscard]] Result<double> score(const Point& point) const noexcept {
    return engine_.score(point);
  }
  [[nodiscard]] Result<double> score_and_update(const Point& point) noexcept {
    return engine_.score_and_update(point);
  }
  [[nodiscard]] Result<DiVector> attribution(const Point& point) const {
    return engine_.attribution(point);
  }
  [[nodiscard]] Result<AttributionStability> attribution_stability(const Point& point) const {
    return engine_.attribution_stability(point);
  }
  [[nodiscard]] Result<ForensicBaseline> forensic_baseline(const Point& point) const {
    return engine_.forensic_baseline(point);
  }
  [[nodiscard]] ForestSnapshot snapshot() const { return engine_.snapshot(); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return engine_.memory_bytes(); }
  [[nodiscard]] bool is_ready() const noexcept { return engine_.is_ready(); }
  [[nodiscard]] const RandomCutForest& engine() const noexcept { return engine_; }
  [[nodiscard]] RandomCutForest& engine() noexcept { return engine_; }

 private:
  explicit FixedRandomCutForest(RandomCutForest engine) : engine_(std::move(engine)) {}
  RandomCutForest engine_;
};

}  // namespace anomstream::forest
