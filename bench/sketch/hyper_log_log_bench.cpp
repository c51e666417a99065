// HyperLogLog add (one keyed SipHash-1-3 and a register max) and estimate.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "anomstream/core/secret_key.hpp"
#include "anomstream/sketch/hyper_log_log.hpp"

namespace {

anomstream::sketch::HyperLogLog make(int precision) {
  return *anomstream::sketch::HyperLogLog::create({precision, anomstream::key_from_seed(1)});
}

void BM_HyperLogLog_Add(benchmark::State& state) {
  auto sketch = make(static_cast<int>(state.range(0)));
  std::uint64_t item = 0;
  for (auto _ : state) {
    sketch.add(item++);
  }
  benchmark::DoNotOptimize(sketch.register_count());
  state.SetItemsProcessed(state.iterations());
  state.counters["memory_bytes"] = static_cast<double>(sketch.memory_bytes());
}
BENCHMARK(BM_HyperLogLog_Add)->ArgName("p")->Arg(12)->Arg(14);

void BM_HyperLogLog_Estimate(benchmark::State& state) {
  auto sketch = make(static_cast<int>(state.range(0)));
  for (std::uint64_t i = 0; i < 1'000'000; ++i) sketch.add(i);
  for (auto _ : state) {
    benchmark::DoNotOptimize(sketch.estimate());
  }
}
BENCHMARK(BM_HyperLogLog_Estimate)->ArgName("p")->Arg(12)->Arg(14);

}  // namespace
