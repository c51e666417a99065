// Per-point cost of the forest variants (shingled, dynamic-dimension, drift-aware) at the
// reference configuration, 100 trees of 256 points, and the cost of a TenantForestPool
// lookup. Every forest is warmed up past its sample size before timing starts, so the
// figures are steady-state: each point scores and updates a full forest.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/drift_aware_forest.hpp"
#include "anomstream/forest/dynamic_forest.hpp"
#include "anomstream/forest/shingled_forest.hpp"
#include "anomstream/forest/tenant_forest_pool.hpp"
#include "anomstream/forest/thresholded_forest.hpp"

namespace {

using anomstream::Result;
using anomstream::Xoshiro256;
namespace forest = anomstream::forest;

constexpr std::size_t TREES = 100;
constexpr std::size_t SAMPLE = 256;
constexpr std::size_t WARMUP = 4 * SAMPLE;
constexpr std::size_t POINTS = 4096;  // inputs cycled through, generated up front

// Rows of `d` values: a sinusoid per feature plus uniform noise.
std::vector<double> rows(std::size_t d, std::uint64_t seed) {
  Xoshiro256 rng(seed);
  std::vector<double> out(POINTS * d);
  for (std::size_t t = 0; t < POINTS; ++t) {
    for (std::size_t j = 0; j < d; ++j) {
      out[t * d + j] =
          std::sin(2 * std::numbers::pi * static_cast<double>(t) / 48.0 + static_cast<double>(j)) +
          0.2 * (rng.uniform01() - 0.5);
    }
  }
  return out;
}

forest::ForestConfig reference_config(std::size_t dimension) {
  forest::ForestConfig c;
  c.dimension = dimension;
  c.num_trees = TREES;
  c.sample_size = SAMPLE;
  c.seed = 7;
  c.time_decay = forest::default_time_decay(SAMPLE);
  c.output_after = forest::default_output_after(SAMPLE);
  return c;
}

std::span<const double> row(const std::vector<double>& data, std::size_t i, std::size_t d) {
  return {data.data() + (i % POINTS) * d, d};
}

// Inputs of d values into shingles of s: the forest works in d*s dimensions.
void BM_ShingledForest_Process(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  const auto s = static_cast<std::size_t>(state.range(1));
  forest::ShingledForestConfig config;
  config.input_dimension = d;
  config.shingle_size = s;
  config.forest = reference_config(0);
  auto shingled = forest::ShingledForest::create(config).value();
  const auto data = rows(d, 1);
  std::size_t i = 0;
  for (; i < WARMUP; ++i) benchmark::DoNotOptimize(shingled.process(row(data, i, d)));
  for (auto _ : state) {
    auto score = shingled.process(row(data, i++, d));
    benchmark::DoNotOptimize(score);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["forest_dim"] = static_cast<double>(d * s);
}
BENCHMARK(BM_ShingledForest_Process)->Args({1, 4})->Args({4, 8})->Unit(benchmark::kMicrosecond);

// The ThresholdedForest DynamicForest wraps, for the wrapper's overhead; D = 8 is the
// width of anomstreamctl's synthetic traffic, the reference for the daemon's scoring rate.
void BM_ThresholdedForest_Process(benchmark::State& state) {
  const auto D = static_cast<std::size_t>(state.range(0));
  forest::ThresholdedForestConfig config;
  config.forest = reference_config(D);
  auto thresholded = forest::ThresholdedForest::create(config).value();
  const auto data = rows(D, 2);
  forest::AnomalyDescriptor out;
  std::size_t i = 0;
  for (; i < WARMUP; ++i) benchmark::DoNotOptimize(thresholded.process(row(data, i, D), true, out));
  for (auto _ : state) {
    auto status = thresholded.process(row(data, i++, D), true, out);
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ThresholdedForest_Process)->Arg(4)->Arg(8)->Unit(benchmark::kMicrosecond);

// Dimension learned from the first point (4).
void BM_DynamicForest_Process(benchmark::State& state) {
  constexpr std::size_t D = 4;
  forest::DynamicForestConfig config;
  config.forest.forest = reference_config(0);
  auto dynamic = forest::DynamicForest<64>::create(config).value();
  const auto data = rows(D, 2);
  forest::AnomalyDescriptor out;
  std::size_t i = 0;
  for (; i < WARMUP; ++i) benchmark::DoNotOptimize(dynamic.process(row(data, i, D), true, out));
  for (auto _ : state) {
    auto status = dynamic.process(row(data, i++, D), true, out);
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DynamicForest_Process)->Unit(benchmark::kMicrosecond);

// Fires once at the given observation, or never.
class OneAlarm final : public forest::ChangeDetector {
 public:
  explicit OneAlarm(std::uint64_t at) : at_(at) {}
  Result<bool> observe(double) noexcept override { return seen_++ == at_; }
  void reset() noexcept override {}
  std::size_t memory_bytes() const noexcept override { return sizeof(*this); }

 private:
  std::uint64_t at_;
  std::uint64_t seen_ = 0;
};

// Arg 0: stable (the detector never fires); 1: shadow training throughout (the alarm
// comes during warm-up and the shadow's warm-up outlasts the run), so two forests score
// and learn every point.
void BM_DriftAwareForest_Process(benchmark::State& state) {
  constexpr std::size_t D = 4;
  const bool training = state.range(0) != 0;
  forest::DriftAwareForestConfig config;
  config.forest = reference_config(D);
  config.shadow_warmup = training ? forest::MAX_SHADOW_WARMUP : 2 * SAMPLE;
  auto aware = forest::DriftAwareForest::create(
                   config, std::make_unique<OneAlarm>(training ? 0 : UINT64_MAX))
                   .value();
  const auto data = rows(D, 3);
  std::size_t i = 0;
  for (; i < 2 * WARMUP; ++i) benchmark::DoNotOptimize(aware.process(row(data, i, D)));
  if (aware.state() !=
      (training ? forest::DriftState::shadow_training : forest::DriftState::stable)) {
    state.SkipWithError("unexpected drift state after warm-up");
    return;
  }
  for (auto _ : state) {
    auto result = aware.process(row(data, i++, D));
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DriftAwareForest_Process)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// get_or_create hits on a pool of `range(0)` tenants' forests (100 trees of 256, D = 4,
// not updated: the hit path does not depend on how full they are), visited in a fixed
// random order. Includes re-measuring the previously returned forest.
void BM_TenantForestPool_Hit(benchmark::State& state) {
  const auto tenants = static_cast<std::size_t>(state.range(0));
  auto factory = forest::make_forest_factory(reference_config(0)).value();
  auto pool = forest::TenantForestPool<forest::RandomCutForest>::create(
                  {.max_forests = tenants, .max_bytes = std::size_t{1} << 40}, factory)
                  .value();
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < tenants; ++k) {
    keys.push_back("tenant-" + std::to_string(k) + "/stream-cpu");
    (void)pool.get_or_create(keys.back(), 4).value();
  }
  Xoshiro256 rng(4);
  std::vector<std::size_t> order(POINTS);
  for (auto& k : order) k = static_cast<std::size_t>(rng.below(tenants));
  std::size_t i = 0;
  for (auto _ : state) {
    auto hit = pool.get_or_create(keys[order[i++ % POINTS]], 4);
    benchmark::DoNotOptimize(hit);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["evictions"] = static_cast<double>(pool.evictions());
}
BENCHMARK(BM_TenantForestPool_Hit)->Arg(16)->Arg(256);

// A miss that evicts: every call creates a forest (100 trees of 256, D = 4) and evicts the
// least recently used one, so this is the cost of a new tenant at capacity.
void BM_TenantForestPool_MissEvict(benchmark::State& state) {
  auto factory = forest::make_forest_factory(reference_config(0)).value();
  auto pool = forest::TenantForestPool<forest::RandomCutForest>::create(
                  {.max_forests = 8, .max_bytes = std::size_t{1} << 40}, factory)
                  .value();
  std::vector<std::string> keys;
  for (std::size_t k = 0; k < 1024; ++k) keys.push_back("tenant-" + std::to_string(k));
  std::size_t i = 0;
  for (auto _ : state) {
    auto miss = pool.get_or_create(keys[i++ % keys.size()], 4);
    benchmark::DoNotOptimize(miss);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TenantForestPool_MissEvict)->Unit(benchmark::kMicrosecond);

}  // namespace
