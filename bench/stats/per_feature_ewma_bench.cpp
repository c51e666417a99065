#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/per_feature_ewma.hpp"

namespace {

using anomstream::stats::PerFeatureEwma;

std::vector<double> rows(std::size_t dimension, std::size_t count) {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(dimension * count);
  for (auto& v : values) v = rng.uniform01() * 10.0;
  return values;
}

// Runtime engine, one observation of range(0) features per iteration (warmed up).
void BM_PerFeatureEwmaObserve(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  auto ewma = *PerFeatureEwma<>::create(d);
  const auto data = rows(d, 256);
  for (std::size_t r = 0; r < 256; ++r) (void)ewma.observe(std::span(data).subspan(r * d, d));
  std::size_t r = 0;
  for (auto _ : state) {
    auto alerts = ewma.observe(std::span(data).subspan(r * d, d));
    benchmark::DoNotOptimize(alerts);
    r = (r + 1) & 255;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PerFeatureEwmaObserve)->Arg(4)->Arg(16)->Arg(128);

void BM_PerFeatureEwmaFixed4Observe(benchmark::State& state) {
  auto ewma = *PerFeatureEwma<4>::create();
  const auto data = rows(4, 256);
  std::size_t r = 0;
  for (auto _ : state) {
    const PerFeatureEwma<4>::Point x{data[4 * r], data[4 * r + 1], data[4 * r + 2], data[4 * r + 3]};
    auto alerts = ewma.observe(x);
    benchmark::DoNotOptimize(alerts);
    r = (r + 1) & 255;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PerFeatureEwmaFixed4Observe);

}  // namespace
