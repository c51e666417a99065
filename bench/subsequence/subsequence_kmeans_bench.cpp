#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/subsequence/subsequence_kmeans.hpp"

namespace {

using anomstream::subsequence::SubsequenceKMeans;
using anomstream::subsequence::SubsequenceKMeansConfig;

constexpr std::size_t ROWS = 4096;

// ROWS rows of d channels: sines of different periods plus uniform noise.
std::vector<double> rows(std::size_t d) {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(d * ROWS);
  for (std::size_t t = 0; t < ROWS; ++t) {
    for (std::size_t j = 0; j < d; ++j) {
      const double period = 20.0 + 3.0 * static_cast<double>(j);
      values[t * d + j] = std::sin(2.0 * std::numbers::pi * static_cast<double>(t) / period) +
                          0.2 * rng.uniform01();
    }
  }
  return values;
}

// Score and learn one row of range(0) features after warm-up (W = 40, k = 10, the
// evaluator's defaults): the steady-state cost per point.
// Arguments: D, then the newest row's extra weight (the default 4, or 0 for KMeansAD's
// plain distance).
void BM_SubsequenceKMeansProcess(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  const SubsequenceKMeansConfig config{.dimension = d, .window = 40, .clusters = 10,
                                       .warmup = 1000, .reservoir = 1000,
                                       .newest_weight = static_cast<double>(state.range(1)), .seed = 1};
  auto detector = *SubsequenceKMeans::create(config);
  const auto data = rows(d);
  for (std::size_t r = 0; r < 1100; ++r) (void)detector.process(std::span(data).subspan(r * d, d));
  std::size_t r = 0;
  for (auto _ : state) {
    auto score = detector.process(std::span(data).subspan(r * d, d));
    benchmark::DoNotOptimize(score);
    r = (r + 1) % ROWS;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubsequenceKMeansProcess)->ArgsProduct({{1, 25, 55}, {4, 0}});

// The whole warm-up at D = 25: 2000 windows, refits after 20, 40, ..., 1280 and 2000.
void BM_SubsequenceKMeansWarmup(benchmark::State& state) {
  const std::size_t d = 25;
  const auto data = rows(d);
  const SubsequenceKMeansConfig config{.dimension = d, .window = 40, .clusters = 10,
                                       .warmup = 2000, .seed = 1};
  for (auto _ : state) {
    auto detector = *SubsequenceKMeans::create(config);
    for (std::size_t r = 0; r < 2039; ++r) (void)detector.process(std::span(data).subspan(r * d, d));
    benchmark::DoNotOptimize(detector.score());
  }
  state.SetItemsProcessed(state.iterations() * 2039);
}
BENCHMARK(BM_SubsequenceKMeansWarmup)->Unit(benchmark::kMillisecond);

}  // namespace
