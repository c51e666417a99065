// CountMinSketch update and estimate, depth 4 (delta 0.02), epsilon 0.001 (width 2719,
// 87 KB of counters). Items are consecutive integers: the keyed hash scatters them.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "anomstream/core/secret_key.hpp"
#include "anomstream/sketch/count_min_sketch.hpp"

namespace {

anomstream::sketch::CountMinSketch make(bool conservative) {
  return *anomstream::sketch::CountMinSketch::create(
      {0.001, 0.02, conservative, anomstream::key_from_seed(1)});
}

void BM_CountMinSketch_Update(benchmark::State& state) {
  auto sketch = make(state.range(0) != 0);
  std::uint64_t item = 0;
  for (auto _ : state) {
    sketch.update(item++);
  }
  benchmark::DoNotOptimize(sketch.total());
  state.SetItemsProcessed(state.iterations());
  state.counters["memory_bytes"] = static_cast<double>(sketch.memory_bytes());
  state.counters["depth"] = static_cast<double>(sketch.depth());
}
BENCHMARK(BM_CountMinSketch_Update)->ArgName("conservative")->Arg(0)->Arg(1);

void BM_CountMinSketch_Estimate(benchmark::State& state) {
  auto sketch = make(false);
  for (std::uint64_t i = 0; i < 1'000'000; ++i) sketch.update(i);
  std::uint64_t item = 0;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    sum += sketch.estimate(item++);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountMinSketch_Estimate);

}  // namespace
