#include <benchmark/benchmark.h>

#include <span>
#include <string>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/triage/feedback_store.hpp"

namespace {

using anomstream::triage::FeedbackLabel;
using anomstream::triage::FeedbackStore;

constexpr std::size_t D = 16;
constexpr std::size_t ALERTS = 4096;

// adjustment() of an alert against a full store (65 536 verdicts over 64 streams).
void BM_FeedbackAdjustment(benchmark::State& state) {
  auto store = *FeedbackStore::create({.dimension = D, .key = anomstream::key_from_seed(1)});
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(ALERTS * D);
  for (double& v : values) v = rng.uniform01() - 0.5;
  std::vector<std::string> streams;
  for (int s = 0; s < 64; ++s) streams.push_back("tenant-a/stream-" + std::to_string(s));
  std::vector<double> v(D);
  for (std::size_t i = 0; i < 70000; ++i) {
    for (double& x : v) x = rng.uniform01() - 0.5;
    (void)store.record(streams[i % 64], v, FeedbackLabel::false_positive, static_cast<std::int64_t>(i));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.adjustment(streams[i % 64], std::span(values).subspan(i * D, D), 80000));
    i = (i + 1) % ALERTS;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FeedbackAdjustment);

}  // namespace
