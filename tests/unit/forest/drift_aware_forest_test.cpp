#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <set>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/drift_aware_forest.hpp"

using anomstream::ErrorCode;
using anomstream::Result;
using anomstream::forest::ChangeDetector;
using anomstream::forest::DriftAwareForest;
using anomstream::forest::DriftAwareForestConfig;
using anomstream::forest::DriftState;
using anomstream::forest::RandomCutForest;

namespace {

constexpr std::size_t D = 3;

DriftAwareForestConfig small_config(std::uint64_t seed) {
  DriftAwareForestConfig c;
  c.forest.dimension = D;
  c.forest.num_trees = 50;
  c.forest.sample_size = 128;
  c.forest.seed = seed;
  c.forest.time_decay = 0;  // no forgetting: only the swap gets rid of the old regime
  c.forest.output_after = 33;
  c.shadow_warmup = 256;
  return c;
}

// A two-sided CUSUM on the score, standardised against the mean and standard deviation
// of the first `warmup` scores after creation, a reset or an alarm (Page 1954). Each
// standardised score is clipped to +/-3 so that one outlying point cannot raise an
// alarm on its own: with k = 1 and h = 20 it takes a run of at least ten scores 3 sd
// off, or a much longer one of smaller excursions.
class ScoreCusum final : public ChangeDetector {
 public:
  explicit ScoreCusum(std::size_t warmup) : warmup_(warmup) {}
  Result<bool> observe(double score) noexcept override {
    if (!std::isfinite(score)) return anomstream::fail(ErrorCode::non_finite, "score", "finite");
    if (count_ < warmup_) {
      ++count_;
      const double delta = score - mean_;
      mean_ += delta / static_cast<double>(count_);
      m2_ += delta * (score - mean_);
      return false;
    }
    const double sd = std::max(std::sqrt(m2_ / static_cast<double>(count_)), 1e-3);
    const double z = std::clamp((score - mean_) / sd, -3.0, 3.0);
    up_ = std::max(0.0, up_ + z - K);
    down_ = std::max(0.0, down_ - z - K);
    if (up_ > H || down_ > H) {
      reset();
      return true;
    }
    return false;
  }
  void reset() noexcept override { count_ = 0, mean_ = 0, m2_ = 0, up_ = 0, down_ = 0; }
  std::size_t memory_bytes() const noexcept override { return sizeof(*this); }

 private:
  static constexpr double K = 1.0;
  static constexpr double H = 20.0;
  std::size_t warmup_;
  std::size_t count_ = 0;
  double mean_ = 0, m2_ = 0, up_ = 0, down_ = 0;
};

// Fires at the given observation indices; counts observations and resets.
class ScriptedDetector final : public ChangeDetector {
 public:
  explicit ScriptedDetector(std::set<std::uint64_t> fire_at, std::uint64_t observed = 0)
      : fire_at_(std::move(fire_at)), observed_(observed) {}
  Result<bool> observe(double) noexcept override { return fire_at_.contains(observed_++); }
  void reset() noexcept override { ++resets_; }
  std::size_t memory_bytes() const noexcept override { return 64; }
  std::uint64_t observed() const { return observed_; }
  std::uint64_t resets() const { return resets_; }

 private:
  std::set<std::uint64_t> fire_at_;
  std::uint64_t observed_ = 0;
  std::uint64_t resets_ = 0;
};

double gaussian(anomstream::Xoshiro256& rng) {
  const double u1 = std::max(rng.uniform01(), 1e-300);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * rng.uniform01());
}

// N(0, 1) in every feature, plus `level` on every feature from `shift_at` on.
struct LevelShiftStream {
  std::size_t shift_at;
  double level;
  anomstream::Xoshiro256 rng{31};
  std::size_t t = 0;
  std::vector<double> point = std::vector<double>(D);
  const std::vector<double>& next() {
    for (double& x : point) x = gaussian(rng) + (t >= shift_at ? level : 0.0);
    ++t;
    return point;
  }
};

double mean(const std::vector<double>& v, std::size_t begin, std::size_t end) {
  double sum = 0;
  for (std::size_t i = begin; i < end; ++i) sum += v[i];
  return sum / static_cast<double>(end - begin);
}

// First t >= from + 100 at which the mean of scores[t - 100, t) is below `level`
// (scores.size() if never).
std::size_t recovery(const std::vector<double>& scores, std::size_t from, double level) {
  for (std::size_t t = from + 100; t <= scores.size(); ++t) {
    if (mean(scores, t - 100, t) < level) return t;
  }
  return scores.size();
}

}  // namespace

TEST_CASE(
    "drift-aware forest: after a level shift the shadow takes over and scores the new "
    "regime as normal, while a forest without drift awareness keeps alarming") {
  constexpr std::size_t SHIFT = 2000;
  constexpr std::size_t N = 3600;
  const auto config = small_config(1);
  auto aware = DriftAwareForest::create(config, std::make_unique<ScoreCusum>(300));
  REQUIRE(aware);
  auto plain = RandomCutForest::create(config.forest);
  REQUIRE(plain);
  LevelShiftStream stream{SHIFT, 4.0};
  std::vector<double> active(N), baseline(N);
  std::size_t fired_at = 0, swapped_at = 0, changes = 0;
  bool training = false;
  for (std::size_t t = 0; t < N; ++t) {
    const auto& p = stream.next();
    auto r = aware->process(p);
    REQUIRE(r);
    auto s = plain->score_and_update(p);
    REQUIRE(s);
    active[t] = r->active_score;
    baseline[t] = *s;
    CHECK(r->primary_score == r->active_score);
    if (r->change_detected) {
      ++changes;
      if (fired_at == 0) fired_at = t;
    }
    if (r->swapped) swapped_at = t;
    // Both scores are reported exactly while a shadow trains (from the point after the
    // alarm to the swap).
    CHECK(r->shadow_score.has_value() == training);
    training = aware->state() == DriftState::shadow_training;
  }
  const double before = mean(active, SHIFT - 500, SHIFT);
  const double after_swap = mean(active, swapped_at + 1, swapped_at + 301);
  const double plain_after = mean(baseline, swapped_at + 1, swapped_at + 301);
  // Back to normal: the first time the mean of the last 100 scores is within 10% of the
  // pre-shift mean (the sd of a 100-score mean is about 1% of it here).
  const double normal_level = 1.1 * before;
  const std::size_t aware_back = recovery(active, SHIFT, normal_level);
  const std::size_t plain_back = recovery(baseline, SHIFT, normal_level);
  MESSAGE("alarm at ", fired_at, ", swap at ", swapped_at, "; mean score before the shift ", before,
          ", 300 after the swap ", after_swap, " (plain forest ", plain_after,
          "); back to normal at ", aware_back, " (plain forest ", plain_back, ")");
  CHECK(changes == 1);
  CHECK(fired_at >= SHIFT);
  CHECK(fired_at < SHIFT + 20);
  CHECK(swapped_at == fired_at + 256);
  CHECK(aware->swaps() == 1);
  CHECK(aware->state() == DriftState::stable);
  CHECK(after_swap < normal_level);
  // Measured: 1.40x the pre-shift mean, and back to normal about 4x later.
  CHECK(plain_after > 1.25 * before);
  CHECK(aware_back < swapped_at + 150);
  CHECK(plain_back - SHIFT > 2 * (aware_back - SHIFT));
}

TEST_CASE(
    "drift-aware forest: an alarm starts a shadow that is swapped in after exactly "
    "shadow_warmup updates, and the detector is reset") {
  auto config = small_config(2);
  config.shadow_warmup = 100;
  auto owned = std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{10});
  ScriptedDetector* detector = owned.get();
  auto forest = DriftAwareForest::create(config, std::move(owned));
  REQUIRE(forest);
  LevelShiftStream stream{1000000, 0.0};
  // The detector sees scores from the primary's output_after-th point on: observation 10
  // is point 43; the shadow learns points 44..143 and is swapped in after point 143.
  for (std::size_t t = 0; t < 200; ++t) {
    auto r = forest->process(stream.next());
    REQUIRE(r);
    CHECK(r->change_detected == (t == 43));
    CHECK(r->swapped == (t == 143));
    CHECK(r->shadow_score.has_value() == (t > 43 && t <= 143));
    CHECK(r->state == (t >= 43 && t < 143 ? DriftState::shadow_training : DriftState::stable));
    if (t == 100) {
      REQUIRE(forest->shadow() != nullptr);
      CHECK(forest->shadow_updates() == 57);
      CHECK(forest->shadow()->entries_seen() == 57);
      CHECK(forest->memory_bytes() >
            forest->primary().memory_bytes() + forest->shadow()->memory_bytes() / 2);
    }
  }
  CHECK(detector->observed() == 200 - 33);
  CHECK(detector->resets() == 1);
  CHECK(forest->swaps() == 1);
  CHECK(forest->generation() == 1);
  CHECK(forest->shadow() == nullptr);
  // The primary is the former shadow: it has learned only the points since the alarm.
  CHECK(forest->primary().entries_seen() == 200 - 44);
  CHECK(forest->primary().config().seed != config.forest.seed);
}

TEST_CASE("drift-aware forest: an alarm during training restarts the shadow") {
  auto config = small_config(3);
  config.shadow_warmup = 100;
  auto forest = DriftAwareForest::create(
      config, std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{10, 60}));
  REQUIRE(forest);
  LevelShiftStream stream{1000000, 0.0};
  std::vector<std::size_t> swaps;
  for (std::size_t t = 0; t < 260; ++t) {
    auto r = forest->process(stream.next());
    REQUIRE(r);
    if (r->swapped) swaps.push_back(t);
  }
  // Alarms at points 43 and 93; the second shadow learns 94..193.
  CHECK(swaps == std::vector<std::size_t>{193});
  CHECK(forest->generation() == 2);
  CHECK(forest->swaps() == 1);
}

TEST_CASE("drift-aware forest: points scored without update do not warm the shadow") {
  auto config = small_config(4);
  config.shadow_warmup = 50;
  auto forest = DriftAwareForest::create(
      config, std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{0}));
  REQUIRE(forest);
  LevelShiftStream stream{1000000, 0.0};
  for (std::size_t t = 0; t < 34; ++t) REQUIRE(forest->process(stream.next()));
  REQUIRE(forest->state() == DriftState::shadow_training);
  for (std::size_t t = 0; t < 200; ++t) {
    auto r = forest->process(stream.next(), false);
    REQUIRE(r);
    CHECK(r->shadow_score.has_value());
  }
  CHECK(forest->state() == DriftState::shadow_training);
  CHECK(forest->shadow_updates() == 0);
  CHECK(forest->primary().entries_seen() == 34);
}

TEST_CASE("drift-aware forest: bad input is rejected before anything changes") {
  auto owned = std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{5});
  ScriptedDetector* detector = owned.get();
  auto forest = DriftAwareForest::create(small_config(5), std::move(owned));
  REQUIRE(forest);
  LevelShiftStream stream{1000000, 0.0};
  for (std::size_t t = 0; t < 60; ++t) REQUIRE(forest->process(stream.next()));
  REQUIRE(forest->state() == DriftState::shadow_training);
  const auto before = forest->snapshot();
  const std::uint64_t observed = detector->observed();
  CHECK(forest->process(std::vector<double>{1.0, 2.0}).error().code ==
        ErrorCode::dimension_mismatch);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(forest->process(std::vector<double>{0.0, inf, 0.0}).error().code == ErrorCode::non_finite);
  CHECK(forest->snapshot() == before);
  CHECK(detector->observed() == observed);
}

TEST_CASE("drift-aware forest: a restored forest continues bit-for-bit, also mid-training") {
  auto config = small_config(6);
  config.shadow_warmup = 80;
  const std::set<std::uint64_t> fires{10, 150};
  auto original = std::make_unique<ScriptedDetector>(fires);
  ScriptedDetector* detector = original.get();
  auto forest = DriftAwareForest::create(config, std::move(original));
  REQUIRE(forest);
  LevelShiftStream stream{100, 3.0};
  for (std::size_t t = 0; t < 90; ++t) REQUIRE(forest->process(stream.next()));
  REQUIRE(forest->state() == DriftState::shadow_training);
  const auto snapshot = forest->snapshot();
  CHECK(snapshot.shadow.has_value());
  auto restored = DriftAwareForest::restore(
      snapshot, std::make_unique<ScriptedDetector>(fires, detector->observed()));
  REQUIRE(restored);
  CHECK(restored->snapshot() == snapshot);
  for (std::size_t t = 0; t < 300; ++t) {
    const auto& p = stream.next();
    auto a = forest->process(p, t % 5 != 0);
    auto b = restored->process(p, t % 5 != 0);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->primary_score == b->primary_score);
    CHECK(a->shadow_score == b->shadow_score);
    CHECK(a->swapped == b->swapped);
    CHECK(a->state == b->state);
  }
  CHECK(forest->swaps() == 2);  // both alarms led to a swap within the run
  CHECK(restored->snapshot() == forest->snapshot());
}

TEST_CASE("drift-aware forest: create and restore name what is wrong") {
  auto config = small_config(7);
  config.shadow_warmup = 32;  // below output_after = 33: the swapped-in shadow could not score
  auto e = DriftAwareForest::create(config,
                                    std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{}));
  REQUIRE(!e);
  CHECK(e.error().code == ErrorCode::invalid_config);
  CHECK(e.error().field == "shadow_warmup");
  config.shadow_warmup = 33;
  CHECK(DriftAwareForest::create(config,
                                 std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{})));
  CHECK(DriftAwareForest::create(config, nullptr).error().field == "detector");
  config.forest.sample_size = 0;
  CHECK(DriftAwareForest::create(config,
                                 std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{}))
            .error()
            .field == "forest.sample_size");
  CHECK(anomstream::forest::default_shadow_warmup(256) == 512);

  config = small_config(8);
  config.shadow_warmup = 100;
  auto forest = DriftAwareForest::create(
      config, std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{0}));
  REQUIRE(forest);
  LevelShiftStream stream{1000000, 0.0};
  for (std::size_t t = 0; t < 50; ++t) REQUIRE(forest->process(stream.next()));
  const auto good = forest->snapshot();
  auto restore = [](const anomstream::forest::DriftAwareForestSnapshot& s) {
    return DriftAwareForest::restore(s,
                                     std::make_unique<ScriptedDetector>(std::set<std::uint64_t>{}));
  };
  REQUIRE(restore(good));
  auto bad = good;
  bad.state = DriftState::stable;  // but a shadow is present
  CHECK(restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.shadow_updates = 100;  // a finished warm-up would have been swapped
  CHECK(restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.shadow_updates = 3;  // disagrees with the shadow's own count
  CHECK(restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.shadow->config.seed ^= 1;  // not the seed of its generation
  CHECK(restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.primary.config.num_trees = 60;
  CHECK(restore(bad).error().code == ErrorCode::corrupt_snapshot);
  bad = good;
  bad.generation = 0;
  CHECK(restore(bad).error().code == ErrorCode::corrupt_snapshot);
}
