// Microseconds per point for score + update, score alone and update alone, serial and
// with a 2-thread pool, and bytes per forest: 100 trees of 256 (AWS's defaults), after a
// warm-up of WARM_UP points of the golden README's stream. Reported time per iteration
// is per point. The reference's figures are in ../shared/golden/rcf/README.md.
//
//   bench_forest --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <cstddef>
#include <map>
#include <memory>

#include "anomstream/forest/forest_builder.hpp"
#include "anomstream/hotpath/thread_pool.hpp"
#include "readme_stream.hpp"

namespace {

using anomstream::forest::ForestBuilder;
using anomstream::forest::RandomCutForest;

constexpr std::size_t WARM_UP = 30000;
constexpr std::size_t STREAM_ROWS = 130000;

struct Warmed {
  anomstream::bench::ReadmeStream stream;
  std::unique_ptr<RandomCutForest> forest;
};

// One warmed forest per dimension, built on first use; each benchmark runs on a copy.
const Warmed& warmed(std::size_t dimension) {
  static std::map<std::size_t, Warmed> cache;
  auto it = cache.find(dimension);
  if (it == cache.end()) {
    Warmed w;
    w.stream = anomstream::bench::make_readme_stream(dimension, STREAM_ROWS, 2026);
    auto forest = ForestBuilder().dimension(dimension).num_trees(100).sample_size(256).seed(42).build();
    if (!forest) {
      std::abort();
    }
    for (std::size_t t = 0; t < WARM_UP; ++t) {
      if (!forest->update(w.stream.row(t))) {
        std::abort();
      }
    }
    w.forest = std::make_unique<RandomCutForest>(std::move(*forest));
    it = cache.emplace(dimension, std::move(w)).first;
  }
  return it->second;
}

enum class Mode { score_and_update, score, update };

void run(benchmark::State& state, Mode mode, std::size_t threads) {
  const auto dimension = static_cast<std::size_t>(state.range(0));
  const Warmed& w = warmed(dimension);
  RandomCutForest forest = *w.forest;
  std::shared_ptr<anomstream::hotpath::ThreadPool> pool;
  if (threads > 1) {
    pool = *anomstream::hotpath::ThreadPool::create(threads);
    forest.set_executor(pool);
  }
  std::size_t t = WARM_UP;
  for (auto _ : state) {
    const auto point = w.stream.row(t++);
    switch (mode) {
      case Mode::score_and_update:
        benchmark::DoNotOptimize(forest.score_and_update(point));
        break;
      case Mode::score:
        benchmark::DoNotOptimize(forest.score(point));
        break;
      case Mode::update:
        benchmark::DoNotOptimize(forest.update(point));
        break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["forest_bytes"] = static_cast<double>(forest.memory_bytes());
}

void BM_ScoreAndUpdate(benchmark::State& state) { run(state, Mode::score_and_update, 1); }
void BM_Score(benchmark::State& state) { run(state, Mode::score, 1); }
void BM_Update(benchmark::State& state) { run(state, Mode::update, 1); }
void BM_ScoreAndUpdate2Threads(benchmark::State& state) { run(state, Mode::score_and_update, 2); }

void BM_ForestBytes(benchmark::State& state) {
  const Warmed& w = warmed(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.forest->memory_bytes());
  }
  state.counters["forest_bytes"] = static_cast<double>(w.forest->memory_bytes());
}

constexpr auto UNIT = benchmark::kMicrosecond;

}  // namespace

BENCHMARK(BM_ScoreAndUpdate)->Arg(4)->Arg(16)->Arg(64)->Unit(UNIT);
BENCHMARK(BM_Score)->Arg(4)->Arg(16)->Arg(64)->Unit(UNIT);
BENCHMARK(BM_Update)->Arg(4)->Arg(16)->Arg(64)->Unit(UNIT);
BENCHMARK(BM_ScoreAndUpdate2Threads)->Arg(4)->Arg(16)->Arg(64)->Unit(UNIT)->UseRealTime();
BENCHMARK(BM_ForestBytes)->Arg(4)->Arg(16)->Arg(64)->Iterations(1);
