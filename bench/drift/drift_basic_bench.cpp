// Per-observation cost of the CUSUM, PSI/KL and score-level drift detectors, and of
// Fisher's p-value combination.

#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/feature_drift_detector.hpp"
#include "anomstream/drift/fisher_combine.hpp"
#include "anomstream/drift/meta_drift_detector.hpp"
#include "anomstream/drift/per_feature_cusum.hpp"

namespace {

using anomstream::Xoshiro256;
namespace drift = anomstream::drift;

constexpr std::size_t POINTS = 4096;  // inputs cycled through, generated up front

double normal(Xoshiro256& rng) {
  const double u1 = 1.0 - rng.uniform01();
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

template <std::size_t D>
std::vector<std::array<double, D>> normal_points(std::uint64_t seed) {
  Xoshiro256 rng(seed);
  std::vector<std::array<double, D>> points(POINTS);
  for (auto& p : points) {
    for (double& x : p) x = normal(rng);
  }
  return points;
}

// In-control data against a known N(0, 1) baseline: alarms are rare (ARL about 465).
void BM_PerFeatureCusum16_Observe(benchmark::State& state) {
  constexpr std::size_t D = 16;
  drift::PerFeatureCusumConfig config;
  config.baseline_mean.assign(D, 0.0);
  config.baseline_sigma.assign(D, 1.0);
  auto cusum = drift::PerFeatureCusum<D>::create(config).value();
  const auto points = normal_points<D>(1);
  std::size_t i = 0;
  for (auto _ : state) {
    auto alerts = cusum.observe(points[i]);
    benchmark::DoNotOptimize(alerts);
    i = (i + 1) % POINTS;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PerFeatureCusum16_Observe);

// Runtime-dimension engine, dimension from the argument.
void BM_PerFeatureCusumEngine_Observe(benchmark::State& state) {
  const auto d = static_cast<std::size_t>(state.range(0));
  drift::PerFeatureCusumConfig config;
  config.dimension = d;
  config.baseline_mean.assign(d, 0.0);
  config.baseline_sigma.assign(d, 1.0);
  auto cusum = drift::PerFeatureCusumEngine::create(config).value();
  Xoshiro256 rng(2);
  std::vector<double> values(POINTS * d);
  for (double& x : values) x = normal(rng);
  std::size_t i = 0;
  for (auto _ : state) {
    auto alerts = cusum.observe(std::span<const double>(values.data() + i * d, d));
    benchmark::DoNotOptimize(alerts);
    i = (i + 1) % POINTS;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PerFeatureCusumEngine_Observe)->Arg(1)->Arg(16)->Arg(128);

// Reference frozen and window full, so every observe also evicts the oldest row.
drift::FeatureDriftDetector<16> warmed_feature_drift() {
  drift::FeatureDriftDetectorConfig config;
  config.bins = 10;
  config.reference_size = 1000;
  config.window_size = 1000;
  auto detector = drift::FeatureDriftDetector<16>::create(config).value();
  const auto points = normal_points<16>(3);
  for (std::size_t i = 0; i < 2000; ++i) (void)detector.observe(points[i % POINTS]);
  return detector;
}

void BM_FeatureDriftDetector16_Observe(benchmark::State& state) {
  auto detector = warmed_feature_drift();
  const auto points = normal_points<16>(4);
  std::size_t i = 0;
  for (auto _ : state) {
    auto status = detector.observe(points[i]);
    benchmark::DoNotOptimize(status);
    i = (i + 1) % POINTS;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FeatureDriftDetector16_Observe);

void BM_FeatureDriftDetector16_Report(benchmark::State& state) {
  auto detector = warmed_feature_drift();
  for (auto _ : state) {
    auto report = detector.report();
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FeatureDriftDetector16_Report);

void BM_MetaDriftDetector_Observe(benchmark::State& state) {
  drift::MetaDriftDetectorConfig config;
  config.warmup = 500;
  auto detector = drift::MetaDriftDetector::create(config).value();
  Xoshiro256 rng(5);
  std::vector<double> scores(POINTS);
  for (double& s : scores) s = 0.3 + 0.05 * normal(rng);
  for (std::size_t i = 0; i < config.warmup; ++i) (void)detector.observe(scores[i % POINTS]);
  std::size_t i = 0;
  for (auto _ : state) {
    auto change = detector.observe(scores[i]);
    benchmark::DoNotOptimize(change);
    i = (i + 1) % POINTS;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetaDriftDetector_Observe);

// k p-values drawn under the null; the argument is k.
void BM_FisherCombine(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  Xoshiro256 rng(6);
  std::vector<double> p(k);
  for (double& v : p) v = 1.0 - rng.uniform01();
  for (auto _ : state) {
    auto combined = drift::fisher_combine(p);
    benchmark::DoNotOptimize(combined);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FisherCombine)->Arg(2)->Arg(16)->Arg(256)->Arg(4096);

}  // namespace
