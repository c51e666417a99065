#include <benchmark/benchmark.h>

#include <cmath>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/triage/sage_estimator.hpp"

namespace {

using anomstream::triage::SageEstimator;

// 100 permutations over D = range(0) features with a background of 32 rows and a cheap
// model (a sum of squares with one interaction): the estimator's own cost per model call
// and per permutation, not the model's.
void BM_SageEstimator100Permutations(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  anomstream::Xoshiro256 rng(1);
  std::vector<double> data(256 * d), background(32 * d);
  for (double& v : data) v = rng.uniform01();
  for (double& v : background) v = rng.uniform01();
  const anomstream::triage::SageModel model = [](std::span<const double> x) {
    double s = x[0] * x[1];
    for (double v : x) s += v * v;
    return s;
  };
  for (auto _ : state) {
    auto estimator = *SageEstimator::create(
        {.dimension = d, .convergence_ratio = 1e-12, .max_permutations = 100, .seed = 1});
    benchmark::DoNotOptimize(estimator.run(model, data, {}, background));
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.counters["model_calls_per_permutation"] = static_cast<double>(d * 32 + 1);
}
BENCHMARK(BM_SageEstimator100Permutations)->Arg(8)->Arg(32)->Unit(benchmark::kMicrosecond);

}  // namespace
