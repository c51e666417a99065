#include <benchmark/benchmark.h>

#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/triage/bootstrap_report.hpp"

namespace {

using anomstream::triage::BootstrapReport;

// One 95% interval of the mean of range(0) values with 2000 resamples.
void BM_BootstrapInterval(benchmark::State& state) {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(static_cast<std::size_t>(state.range(0)));
  for (double& v : values) v = rng.uniform01();
  auto report = *BootstrapReport::create({.resamples = 2000, .seed = 1});
  for (auto _ : state) benchmark::DoNotOptimize(report.interval(values));
  state.SetItemsProcessed(state.iterations() * 2000 * state.range(0));
}
BENCHMARK(BM_BootstrapInterval)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
