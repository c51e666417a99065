// SpaceSaving<u64> update on a Zipf(1.1) stream over 1e6 ranks (pre-generated, 2^20
// items, replayed), K = 1000 counters.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/sketch/space_saving.hpp"

namespace {

std::vector<std::uint64_t> zipf_items(std::size_t length, std::size_t universe, double s) {
  std::vector<double> cdf(universe);
  double sum = 0;
  for (std::size_t r = 0; r < universe; ++r) {
    sum += std::pow(static_cast<double>(r + 1), -s);
    cdf[r] = sum;
  }
  anomstream::Xoshiro256 rng(7);
  std::vector<std::uint64_t> items(length);
  for (auto& item : items) {
    const double u = rng.uniform01() * sum;
    item = static_cast<std::uint64_t>(std::upper_bound(cdf.begin(), cdf.end() - 1, u) - cdf.begin());
  }
  return items;
}

void BM_SpaceSaving_Update(benchmark::State& state) {
  const auto items = zipf_items(std::size_t{1} << 20, 1'000'000, 1.1);
  auto sketch = *anomstream::sketch::SpaceSaving<std::uint64_t>::create(
      {static_cast<std::size_t>(state.range(0)), 64, anomstream::key_from_seed(1)});
  std::size_t i = 0;
  for (auto _ : state) {
    sketch.update(items[i]);
    i = (i + 1) & (items.size() - 1);
  }
  benchmark::DoNotOptimize(sketch.total());
  state.SetItemsProcessed(state.iterations());
  state.counters["memory_bytes"] = static_cast<double>(sketch.memory_bytes());
}
BENCHMARK(BM_SpaceSaving_Update)->ArgName("K")->Arg(100)->Arg(1000);

void BM_SpaceSaving_UpdateAllDistinct(benchmark::State& state) {
  // Worst case: every item is new, so every update evicts the minimum.
  auto sketch = *anomstream::sketch::SpaceSaving<std::uint64_t>::create(
      {1000, 64, anomstream::key_from_seed(1)});
  std::uint64_t item = 0;
  for (auto _ : state) {
    sketch.update(item++);
  }
  benchmark::DoNotOptimize(sketch.total());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpaceSaving_UpdateAllDistinct);

}  // namespace
