// Benchmarks of the evaluation metrics at TSB-AD scale: VUS-PR on T = 100 000 points
// with the sliding window 100 (the reference's cost is O((w+1) * 250 * T)), and the
// period estimate on the 20 000 points it reads.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "anomstream/eval/find_length_rank.hpp"
#include "anomstream/eval/tsb_ad_metrics.hpp"
#include "anomstream/eval/vus.hpp"

namespace {

struct Scored {
  std::vector<std::uint8_t> labels;
  std::vector<double> scores;
};

// `ranges` anomaly ranges of 20..120 points spread over `length` points, scored by a
// noisy detector that lifts anomalies by one noise sigma.
Scored scored_series(std::size_t length, std::size_t ranges) {
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> noise(0.0, 1.0);
  Scored s;
  s.labels.assign(length, 0);
  for (std::size_t r = 0; r < ranges; ++r) {
    const std::size_t start = (r + 1) * length / (ranges + 1);
    const std::size_t len = 20 + rng() % 100;
    for (std::size_t i = start; i < std::min(length, start + len); ++i) s.labels[i] = 1;
  }
  for (auto label : s.labels) s.scores.push_back(noise(rng) + label);
  return s;
}

void BM_VusPr(benchmark::State& state) {
  const auto length = static_cast<std::size_t>(state.range(0));
  const auto window = static_cast<std::size_t>(state.range(1));
  const auto ranges = static_cast<std::size_t>(state.range(2));
  const Scored s = scored_series(length, ranges);
  for (auto _ : state) {
    auto result = anomstream::eval::vus_pr(s.labels, s.scores, window);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(length));
}
// T = 100 000, w = 100: with 10 ranges (TSB-AD-like) and with 500 (ramp-heavy).
BENCHMARK(BM_VusPr)->Args({100'000, 100, 10})->Args({100'000, 100, 500})->Unit(benchmark::kMillisecond);

void BM_TsbAdMetrics(benchmark::State& state) {
  const Scored s = scored_series(100'000, 10);
  for (auto _ : state) {
    auto result = anomstream::eval::tsb_ad_metrics(s.labels, s.scores, 100);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_TsbAdMetrics)->Unit(benchmark::kMillisecond);

void BM_FindLengthRank(benchmark::State& state) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.3);
  std::vector<double> x(static_cast<std::size_t>(state.range(0)));
  for (std::size_t t = 0; t < x.size(); ++t) {
    x[t] = std::sin(2.0 * std::numbers::pi * static_cast<double>(t) / 48.0) + noise(rng);
  }
  for (auto _ : state) {
    auto result = anomstream::eval::find_length_rank(x);
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_FindLengthRank)->Arg(20'000)->Unit(benchmark::kMillisecond);

}  // namespace
