#include <benchmark/benchmark.h>

#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/score_histogram.hpp"

namespace {

using anomstream::stats::ScoreHistogram;

std::vector<double> scores() {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(1 << 12);
  for (auto& v : values) v = 1.2 * rng.uniform01() - 0.1;  // ~17% outside [0, 1)
  return values;
}

void BM_ScoreHistogramAdd(benchmark::State& state) {
  auto histogram = *ScoreHistogram::create({0.0, 1.0, 100});
  const auto values = scores();
  std::size_t i = 0;
  for (auto _ : state) {
    auto status = histogram.add(values[i]);
    benchmark::DoNotOptimize(status);
    i = (i + 1) & (values.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScoreHistogramAdd);

// O(bins): range(0) bins.
void BM_ScoreHistogramQuantile(benchmark::State& state) {
  auto histogram = *ScoreHistogram::create({0.0, 1.0, static_cast<std::size_t>(state.range(0))});
  for (double v : scores()) (void)histogram.add(v);
  double q = 0.0;
  for (auto _ : state) {
    auto value = histogram.quantile(q);
    benchmark::DoNotOptimize(value);
    q = q >= 1.0 ? 0.0 : q + 0.01;
  }
}
BENCHMARK(BM_ScoreHistogramQuantile)->Arg(100)->Arg(1000);

}  // namespace
