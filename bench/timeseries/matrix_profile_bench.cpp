// Matrix profile self-join throughput. The headline case is n = 100 000, m = 100 on one
// and two threads (docs/performance.md); the smaller sizes show the O(n^2) scaling.
//
//   bench_timeseries --benchmark_filter=MatrixProfile --benchmark_repetitions=3

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <thread>
#include <vector>

#include "../../lib/core/src/timeseries/stomp_kernel.hpp"
#include "../../lib/core/src/timeseries/window_statistics.hpp"
#include "anomstream/core/random.hpp"
#include "anomstream/timeseries/matrix_profile.hpp"

namespace {

using anomstream::timeseries::DiagonalExecutor;
using anomstream::timeseries::MatrixProfile;
using anomstream::timeseries::MatrixProfileConfig;

class ThreadExecutor final : public DiagonalExecutor {
 public:
  explicit ThreadExecutor(std::size_t threads) : threads_(threads) {}
  [[nodiscard]] std::size_t concurrency() const noexcept override { return threads_; }
  void parallel_for(std::size_t count, const std::function<void(std::size_t)>& task) override {
    std::vector<std::thread> workers;
    workers.reserve(count);
    for (std::size_t t = 0; t < count; ++t) {
      workers.emplace_back([&task, t] { task(t); });
    }
    for (auto& w : workers) {
      w.join();
    }
  }

 private:
  std::size_t threads_;
};

// A Gaussian random walk, the usual matrix profile benchmark input.
std::vector<double> random_walk(std::size_t n, std::uint64_t seed) {
  anomstream::Xoshiro256 rng(seed);
  std::vector<double> x(n);
  double level = 0.0;
  for (auto& v : x) {
    const double r = std::sqrt(-2.0 * std::log1p(-rng.uniform01()));
    level += r * std::cos(2.0 * std::numbers::pi * rng.uniform01());
    v = level;
  }
  return x;
}

void BM_MatrixProfile(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto m = static_cast<std::size_t>(state.range(1));
  const auto threads = static_cast<std::size_t>(state.range(2));
  const auto series = random_walk(n, 42);
  ThreadExecutor executor(threads);
  for (auto _ : state) {
    auto mp = threads == 1 ? MatrixProfile::compute(series, MatrixProfileConfig{m})
                           : MatrixProfile::compute(series, MatrixProfileConfig{m}, executor);
    if (!mp) {
      state.SkipWithError("compute failed");
      break;
    }
    benchmark::DoNotOptimize(mp->profile().data());
  }
  const double l = static_cast<double>(n - m + 1);
  const double cells = l * l / 2.0;
  state.counters["cells_per_s"] =
      benchmark::Counter(cells, benchmark::Counter::kIsIterationInvariantRate);
}

// The O(l^2) kernel alone, per instruction set: 0 = the SSE2 baseline every x86-64 CPU
// runs, 1 = the best the CPU supports (AVX2 where present). Window statistics are
// computed once outside the timed loop.
void BM_StompKernel(benchmark::State& state) {
  namespace detail = anomstream::timeseries::detail;
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto m = static_cast<std::size_t>(state.range(1));
  const auto isa = state.range(2) == 0 ? detail::KernelIsa::baseline : detail::KernelIsa::best;
  if (isa == detail::KernelIsa::best && !detail::avx2_available()) {
    state.SkipWithError("no AVX2 on this CPU");
    return;
  }
  const auto series = random_walk(n, 42);
  const auto stats = detail::compute_window_statistics(series, m, detail::BLOCK_DIAGONALS);
  const std::size_t first = (m + 3) / 4 + 1;
  for (auto _ : state) {
    detail::PartialProfile partial(stats.count);
    for (std::size_t g = first; g < stats.count; g += detail::BLOCK_DIAGONALS) {
      detail::process_diagonal_block(stats, g, partial, isa);
    }
    benchmark::DoNotOptimize(partial.right_corr.data());
  }
  const double l = static_cast<double>(stats.count);
  const double cells = (l - static_cast<double>(first)) * (l - static_cast<double>(first) + 1) / 2;
  state.counters["cells_per_s"] =
      benchmark::Counter(cells, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_StompKernel)
    ->ArgNames({"n", "m", "avx2"})
    ->Args({30'000, 100, 0})
    ->Args({30'000, 100, 1})
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_MatrixProfile)
    ->ArgNames({"n", "m", "threads"})
    ->Args({10'000, 100, 1})
    ->Args({30'000, 100, 1})
    ->Args({100'000, 100, 1})
    ->Args({100'000, 100, 2})
    ->Unit(benchmark::kSecond)
    ->MeasureProcessCPUTime()  // CPU column sums all threads: CPU / threads ~ wall on idle cores
    ->UseRealTime();
