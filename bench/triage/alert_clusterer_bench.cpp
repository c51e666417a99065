#include <benchmark/benchmark.h>

#include <cmath>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/triage/alert_clusterer.hpp"
#include "anomstream/triage/lsh_alert_clusterer.hpp"

namespace {

using anomstream::triage::AlertClusterer;
using anomstream::triage::LshAlertClusterer;

constexpr std::size_t D = 16;
constexpr std::size_t ALERTS = 4096;

// ALERTS vectors around 64 random directions (noise 0.1 per component).
std::vector<double> alert_vectors() {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> centres(64 * D), values(ALERTS * D);
  for (double& c : centres) c = rng.uniform01() - 0.5;
  for (std::size_t i = 0; i < ALERTS; ++i) {
    const std::size_t c = rng.below(64);
    for (std::size_t j = 0; j < D; ++j) values[i * D + j] = centres[c * D + j] + 0.1 * (rng.uniform01() - 0.5);
  }
  return values;
}

// One alert into a cosine clusterer whose range(0) slots are all open.
void BM_AlertClustererAssign(benchmark::State& state) {
  const auto max_open = static_cast<std::size_t>(state.range(0));
  auto clusterer = *AlertClusterer::create(
      {.dimension = D, .threshold = 0.95, .window_ns = 1'000'000'000'000, .max_open = max_open});
  const auto data = alert_vectors();
  std::int64_t t = 0;
  for (std::size_t i = 0; i < ALERTS; ++i) (void)clusterer.assign(std::span(data).subspan(i * D, D), t++);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(clusterer.assign(std::span(data).subspan(i * D, D), t++));
    i = (i + 1) % ALERTS;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AlertClustererAssign)->Arg(64)->Arg(1024);

// One alert into an LSH clusterer with range(0) signature bits, 4096 table entries;
// with `probe`, an alert whose own signature has no open cluster looks up its b
// neighbours (the first alerts of each centre pay that).
void lsh_assign(benchmark::State& state, bool probe) {
  const auto bits = static_cast<std::size_t>(state.range(0));
  auto clusterer = *LshAlertClusterer::create({.dimension = D, .bits = bits, .window_ns = 1'000'000'000'000,
                                               .max_entries = 4096, .probe = probe,
                                               .key = anomstream::key_from_seed(1)});
  const auto data = alert_vectors();
  std::int64_t t = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(clusterer.assign(std::span(data).subspan(i * D, D), t++));
    i = (i + 1) % ALERTS;
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_LshAlertClustererAssign(benchmark::State& state) { lsh_assign(state, false); }
BENCHMARK(BM_LshAlertClustererAssign)->Arg(16)->Arg(64);
void BM_LshAlertClustererAssignProbe(benchmark::State& state) { lsh_assign(state, true); }
BENCHMARK(BM_LshAlertClustererAssignProbe)->Arg(16);

}  // namespace
