#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/subsequence/left_matrix_profile.hpp"

namespace {

using anomstream::subsequence::LeftMatrixProfile;

constexpr std::size_t VALUES = 1 << 16;

// A sine of period 80 plus uniform noise: every subsequence has near neighbours.
std::vector<double> series() {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(VALUES);
  for (std::size_t t = 0; t < VALUES; ++t) {
    values[t] = std::sin(2.0 * std::numbers::pi * static_cast<double>(t) / 80.0) + 0.2 * rng.uniform01();
  }
  return values;
}

// Score and learn one value once the history of range(0) subsequences is full (m = 100):
// the steady-state cost per point, O(H + m).
void BM_LeftMatrixProfileProcess(benchmark::State& state) {
  const auto history = static_cast<std::size_t>(state.range(0));
  auto detector = *LeftMatrixProfile::create({.window = 100, .history = history});
  const auto data = series();
  std::size_t t = 0;
  for (; t < history + 100; ++t) (void)detector.process(data[t % VALUES]);
  for (auto _ : state) {
    auto score = detector.process(data[t % VALUES]);
    benchmark::DoNotOptimize(score);
    ++t;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeftMatrixProfileProcess)->Arg(1024)->Arg(4096)->Arg(16384)->Arg(65536);

}  // namespace
