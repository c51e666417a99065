#include <benchmark/benchmark.h>

#include <array>
#include <limits>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/normalizer.hpp"

namespace {

using anomstream::stats::Normalizer;
using anomstream::stats::NormalizerConfig;
using anomstream::stats::NormalizerKind;

std::vector<double> rows(std::size_t dimension, std::size_t count) {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(dimension * count);
  for (auto& v : values) v = rng.uniform01() * 100.0;
  return values;
}

// Runtime engine, one row of range(0) features per iteration, past warm-up.
void observe_rows(benchmark::State& state, const NormalizerConfig& config) {
  const auto d = static_cast<std::size_t>(state.range(0));
  auto normalizer = *Normalizer<>::create(d, config);
  const auto data = rows(d, 256);
  std::size_t r = 0;
  for (auto _ : state) {
    auto status = normalizer.observe(std::span(data).subspan(r * d, d));
    benchmark::DoNotOptimize(status);
    r = (r + 1) & 255;
  }
  state.SetItemsProcessed(state.iterations());
}

// Default: values clipped to mean +/- 4 stddev before they update the statistics.
void BM_NormalizerObserve(benchmark::State& state) {
  observe_rows(state, NormalizerConfig{.kind = NormalizerKind::z_score});
}
BENCHMARK(BM_NormalizerObserve)->Arg(4)->Arg(16)->Arg(128);

// Clipping off: plain Welford, the update before clipping existed.
void BM_NormalizerObservePlain(benchmark::State& state) {
  observe_rows(state, NormalizerConfig{.kind = NormalizerKind::z_score,
                                       .clip_sigmas = std::numeric_limits<double>::infinity()});
}
BENCHMARK(BM_NormalizerObservePlain)->Arg(4)->Arg(16)->Arg(128);

// The 32 warm-up rows, each recomputing the median-winsorised statistics from the rows
// buffered so far; one iteration is reset + 32 rows, reported per row.
void BM_NormalizerWarmup(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  auto normalizer = *Normalizer<>::create(d, NormalizerConfig{.kind = NormalizerKind::z_score});
  const std::size_t warmup = normalizer.warmup_rows();
  const auto data = rows(d, warmup);
  for (auto _ : state) {
    normalizer.reset();
    for (std::size_t r = 0; r < warmup; ++r) {
      auto status = normalizer.observe(std::span(data).subspan(r * d, d));
      benchmark::DoNotOptimize(status);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(warmup));
}
BENCHMARK(BM_NormalizerWarmup)->Arg(4)->Arg(16)->Arg(128);

void BM_NormalizerTransform(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  auto normalizer = *Normalizer<>::create(d, NormalizerConfig{NormalizerKind::z_score});
  const auto data = rows(d, 256);
  (void)normalizer.fit(data);
  std::vector<double> out(d);
  std::size_t r = 0;
  for (auto _ : state) {
    auto status = normalizer.transform(std::span(data).subspan(r * d, d), out);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(out.data());
    r = (r + 1) & 255;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizerTransform)->Arg(4)->Arg(16)->Arg(128);

// Fixed-dimension front end, D = 4, min-max.
void BM_NormalizerFixed4Transform(benchmark::State& state) {
  auto normalizer = *Normalizer<4>::create(NormalizerConfig{NormalizerKind::min_max});
  const auto data = rows(4, 256);
  for (std::size_t r = 0; r < 256; ++r) {
    (void)normalizer.observe({data[4 * r], data[4 * r + 1], data[4 * r + 2], data[4 * r + 3]});
  }
  std::size_t r = 0;
  for (auto _ : state) {
    const Normalizer<4>::Point p{data[4 * r], data[4 * r + 1], data[4 * r + 2], data[4 * r + 3]};
    auto out = normalizer.transform(p);
    benchmark::DoNotOptimize(out);
    r = (r + 1) & 255;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizerFixed4Transform);

}  // namespace
