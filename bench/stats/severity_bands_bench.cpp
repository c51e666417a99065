#include <benchmark/benchmark.h>

#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/severity_bands.hpp"

namespace {

using anomstream::stats::SeverityBands;

void BM_SeverityBandsClassify(benchmark::State& state) {
  const auto bands = *SeverityBands::create();
  anomstream::Xoshiro256 rng(1);
  std::vector<double> scores(1 << 12);
  for (auto& s : scores) s = rng.uniform01();
  std::size_t i = 0;
  for (auto _ : state) {
    auto severity = bands.classify(scores[i]);
    benchmark::DoNotOptimize(severity);
    i = (i + 1) & (scores.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SeverityBandsClassify);

}  // namespace
