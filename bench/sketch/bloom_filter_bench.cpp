// BloomFilter at 1% false positives (7 probes) holding 1e6 items (9.6 Mbit, 1.2 MB):
// queries of added and of never-added keys, and adds.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "anomstream/core/secret_key.hpp"
#include "anomstream/sketch/bloom_filter.hpp"

namespace {

constexpr std::uint64_t N = 1'000'000;

anomstream::sketch::BloomFilter filled() {
  auto filter = *anomstream::sketch::BloomFilter::create({N, 0.01, anomstream::key_from_seed(1)});
  for (std::uint64_t i = 0; i < N; ++i) filter.add(i);
  return filter;
}

void BM_BloomFilter_ContainsPresent(benchmark::State& state) {
  const auto filter = filled();
  std::uint64_t item = 0;
  std::uint64_t hits = 0;
  for (auto _ : state) {
    hits += filter.contains(item);
    item = item + 1 == N ? 0 : item + 1;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations());
  state.counters["memory_bytes"] = static_cast<double>(filter.memory_bytes());
}
BENCHMARK(BM_BloomFilter_ContainsPresent);

void BM_BloomFilter_ContainsAbsent(benchmark::State& state) {
  const auto filter = filled();
  std::uint64_t item = std::uint64_t{1} << 40;
  std::uint64_t hits = 0;
  for (auto _ : state) {
    hits += filter.contains(item++);
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BloomFilter_ContainsAbsent);

void BM_BloomFilter_Add(benchmark::State& state) {
  auto filter = *anomstream::sketch::BloomFilter::create({N, 0.01, anomstream::key_from_seed(1)});
  std::uint64_t item = 0;
  for (auto _ : state) {
    filter.add(item++);
  }
  benchmark::DoNotOptimize(filter.items_added());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BloomFilter_Add);

}  // namespace
