#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/online_stats.hpp"

namespace {

using anomstream::stats::OnlineStats;

std::vector<double> offset_values() {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(1 << 12);
  for (auto& v : values) v = 1e9 + rng.uniform01();
  return values;
}

// A local accumulator in a caller's loop: every result is checked and every moment is
// consumed after the loop, so no update can be elided; the state may live in registers.
void BM_OnlineStatsUpdate(benchmark::State& state) {
  const auto values = offset_values();
  OnlineStats stats;
  std::size_t i = 0;
  bool all_accepted = true;
  for (auto _ : state) {
    all_accepted &= stats.update(values[i]).has_value();
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(stats.variance());
  benchmark::DoNotOptimize(stats.mean());
  benchmark::DoNotOptimize(stats.min());
  benchmark::DoNotOptimize(stats.max());
  if (!all_accepted) state.SkipWithError("update rejected a finite value");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OnlineStatsUpdate);

// The same with the state forced through memory after every update, as when the
// accumulator is a member of a larger object: adds a store-to-load forward to the
// mean's dependency chain.
void BM_OnlineStatsUpdateInMemory(benchmark::State& state) {
  const auto values = offset_values();
  OnlineStats stats;
  std::size_t i = 0;
  for (auto _ : state) {
    auto status = stats.update(values[i]);
    benchmark::DoNotOptimize(status);
    benchmark::ClobberMemory();
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(stats);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OnlineStatsUpdateInMemory);

// Batch update over 4096 values; reported per value.
void BM_OnlineStatsUpdateBatch(benchmark::State& state) {
  const auto values = offset_values();
  OnlineStats stats;
  for (auto _ : state) {
    auto status = stats.update(std::span<const double>(values));
    benchmark::DoNotOptimize(status);
  }
  benchmark::DoNotOptimize(stats);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}
BENCHMARK(BM_OnlineStatsUpdateBatch);

void BM_OnlineStatsMerge(benchmark::State& state) {
  OnlineStats a;
  OnlineStats b;
  for (int i = 0; i < 100; ++i) {
    (void)a.update(i);
    (void)b.update(2.0 * i);
  }
  for (auto _ : state) {
    OnlineStats copy = a;
    copy.merge(b);
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_OnlineStatsMerge);

}  // namespace
