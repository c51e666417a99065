// Score-level drift detectors: ADWIN update, SPOT/DSPOT update outside refits, and the
// cost of one tail refit (GPD fit over a full ring of excesses).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/adwin_detector.hpp"
#include "anomstream/drift/gpd_fit.hpp"
#include "anomstream/drift/pot_detector.hpp"

namespace {

using anomstream::Xoshiro256;
namespace drift = anomstream::drift;

constexpr std::size_t STREAM = 1 << 16;  // pre-drawn inputs, cycled

double standard_normal(Xoshiro256& rng) {
  const double u = 1.0 - rng.uniform01();
  const double v = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

std::vector<double> normal_stream(std::uint64_t seed, double cap) {
  Xoshiro256 rng(seed);
  std::vector<double> xs;
  xs.reserve(STREAM);
  while (xs.size() < STREAM) {
    const double x = standard_normal(rng);
    if (std::abs(x) < cap) xs.push_back(x);
  }
  return xs;
}

// Stationary N(0,1): cut tests every 32 points over a ~1e5-point window; argument 0 =
// MOA's conventions, 1 = river's.
void BM_AdwinUpdate(benchmark::State& state) {
  drift::AdwinConfig config;
  config.conventions = static_cast<drift::AdwinConventions>(state.range(0));
  auto d = *drift::AdwinDetector::create(config);
  const auto xs = normal_stream(1, 1e300);
  for (std::size_t i = 0; i < 100'000; ++i) (void)d.update(xs[i % STREAM]);
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = d.update(xs[i++ & (STREAM - 1)]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(d.memory_bytes());
}
BENCHMARK(BM_AdwinUpdate)->Arg(0)->Arg(1)->ArgName("conventions");

// A mean shift of one sigma every 4096 points: includes the cuts.
void BM_AdwinUpdateWithShifts(benchmark::State& state) {
  drift::AdwinConfig config;
  config.conventions = static_cast<drift::AdwinConventions>(state.range(0));
  auto d = *drift::AdwinDetector::create(config);
  auto xs = normal_stream(2, 1e300);
  for (std::size_t k = 0; k < STREAM; ++k) xs[k] += (k / 4096) % 2 == 0 ? 0.0 : 1.0;
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = d.update(xs[i++ & (STREAM - 1)]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["changes"] = static_cast<double>(d.detections());
}
BENCHMARK(BM_AdwinUpdateWithShifts)->Arg(0)->Arg(1)->ArgName("conventions");

drift::PotDetector calibrated_pot(const drift::PotConfig& config) {
  auto d = *drift::PotDetector::create(config);
  const auto warm = normal_stream(3, 1e300);
  for (std::size_t i = 0; i < config.n_init; ++i) (void)d.update(warm[i]);
  return d;
}

// Points inside both peaks thresholds (N(0,1) restricted to |x| < 1.5, t ~ 2.05): no refit.
void pot_update_no_refit(benchmark::State& state, drift::PotConfig config) {
  auto d = calibrated_pot(config);
  const auto xs = normal_stream(4, 1.5);
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = d.update(xs[i++ & (STREAM - 1)]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["refits"] = static_cast<double>(d.refits());
  state.counters["bytes"] = static_cast<double>(d.memory_bytes());
}

void BM_SpotUpdateNoRefit(benchmark::State& state) { pot_update_no_refit(state, {}); }
BENCHMARK(BM_SpotUpdateNoRefit);

void BM_SpotTwoSidedUpdateNoRefit(benchmark::State& state) {
  drift::PotConfig c;
  c.tail = drift::PotTail::two_sided;
  pot_update_no_refit(state, c);
}
BENCHMARK(BM_SpotTwoSidedUpdateNoRefit);

void BM_DspotUpdateNoRefit(benchmark::State& state) {
  drift::PotConfig c;
  c.depth = 50;
  c.n_init = 1'050;
  pot_update_no_refit(state, c);
}
BENCHMARK(BM_DspotUpdateNoRefit);

// libspot 1.3.1's DSPOT outside refits: the running window mean instead of a sum.
void BM_DspotLibspot1UpdateNoRefit(benchmark::State& state) {
  drift::PotConfig c;
  c.reference = drift::PotReference::libspot1;
  c.depth = 50;
  c.n_init = 1'050;
  pot_update_no_refit(state, c);
}
BENCHMARK(BM_DspotLibspot1UpdateNoRefit);

// Whole N(0,1) stream: about 2% of the points are excesses and refit the tail.
void BM_SpotUpdateStreamWithRefits(benchmark::State& state) {
  drift::PotConfig c;
  c.reference = static_cast<drift::PotReference>(state.range(0));
  auto d = calibrated_pot(c);
  const auto xs = normal_stream(5, 1e300);
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = d.update(xs[i++ & (STREAM - 1)]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["refit_share"] =
      static_cast<double>(d.refits()) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SpotUpdateStreamWithRefits)->Arg(0)->Arg(1)->Arg(2)->ArgName("reference");

// One refit: the GPD fit over `range(0)` excesses of a normal tail above its 98% point.
void gpd_refit(benchmark::State& state, bool libspot) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Xoshiro256 rng(6);
  std::vector<double> y;
  drift::ExcessSums sums;
  while (y.size() < n) {
    const double e = standard_normal(rng) - 2.054;
    if (e <= 0.0) continue;
    y.push_back(e);
    sums.sum += e;
    sums.sum_squares += e * e;
    sums.min = y.size() == 1 ? e : std::min(sums.min, e);
    sums.max = y.size() == 1 ? e : std::max(sums.max, e);
  }
  for (auto _ : state) {
    auto fit = libspot ? drift::fit_gpd_libspot(y, sums) : drift::fit_gpd_spot_paper(y, sums);
    benchmark::DoNotOptimize(fit);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_PotRefitLibspot(benchmark::State& state) { gpd_refit(state, true); }
BENCHMARK(BM_PotRefitLibspot)->Arg(50)->Arg(200)->Arg(1000);

void BM_PotRefitSpotPaper(benchmark::State& state) { gpd_refit(state, false); }
BENCHMARK(BM_PotRefitSpotPaper)->Arg(50)->Arg(200)->Arg(1000);

}  // namespace
