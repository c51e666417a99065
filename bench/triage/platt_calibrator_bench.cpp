#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/triage/platt_calibrator.hpp"

namespace {

using anomstream::triage::PlattCalibrator;

// n scores from N(0, 1.5^2) labelled from a logistic model with A = -2, B = 0.5.
struct LabelledScores {
  std::vector<double> scores;
  std::vector<std::uint8_t> labels;
};

LabelledScores labelled_scores(std::size_t n) {
  anomstream::Xoshiro256 rng(1);
  LabelledScores data;
  for (std::size_t i = 0; i < n; ++i) {
    const double u1 = rng.uniform01(), u2 = rng.uniform01();
    const double s = 1.5 * std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2);
    data.scores.push_back(s);
    data.labels.push_back(rng.uniform01() < 1.0 / (1.0 + std::exp(-2.0 * s + 0.5)) ? 1 : 0);
  }
  return data;
}

void BM_PlattProbability(benchmark::State& state) {
  auto calibrator = *PlattCalibrator::create({});
  const auto data = labelled_scores(4096);
  (void)calibrator.fit(data.scores, data.labels);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calibrator.probability(data.scores[i]));
    i = (i + 1) % data.scores.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlattProbability);

void BM_PlattUpdate(benchmark::State& state) {
  auto calibrator = *PlattCalibrator::create({});
  const auto data = labelled_scores(4096);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(calibrator.update(data.scores[i], data.labels[i] != 0));
    i = (i + 1) % data.scores.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlattUpdate);

// Batch fit of range(0) labelled scores.
void BM_PlattFit(benchmark::State& state) {
  const auto data = labelled_scores(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto calibrator = *PlattCalibrator::create({});
    benchmark::DoNotOptimize(calibrator.fit(data.scores, data.labels));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PlattFit)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
