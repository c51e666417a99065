#include <benchmark/benchmark.h>

#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/stats/t_digest.hpp"

namespace {

using anomstream::stats::TDigest;

std::vector<double> uniform_values(std::size_t n) {
  anomstream::Xoshiro256 rng(1);
  std::vector<double> values(n);
  for (auto& v : values) v = rng.uniform01() * 1000.0;
  return values;
}

// Amortised add: includes the batched radix sort and merge pass every 10 * delta points.
void BM_TDigestAdd(benchmark::State& state) {
  auto digest = *TDigest::create({static_cast<double>(state.range(0))});
  const auto values = uniform_values(1 << 16);
  std::size_t i = 0;
  for (auto _ : state) {
    auto status = digest.add(values[i]);
    benchmark::DoNotOptimize(status);
    i = (i + 1) & (values.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TDigestAdd)->Arg(100)->Arg(1000);

void BM_TDigestQuantile(benchmark::State& state) {
  auto digest = *TDigest::create({100.0});
  for (double v : uniform_values(1'000'000)) (void)digest.add(v);
  digest.flush();
  double q = 0.0;
  for (auto _ : state) {
    auto value = digest.quantile(q);
    benchmark::DoNotOptimize(value);
    q = q >= 1.0 ? 0.0 : q + 0.001;
  }
}
BENCHMARK(BM_TDigestQuantile);

void BM_TDigestCdf(benchmark::State& state) {
  auto digest = *TDigest::create({100.0});
  for (double v : uniform_values(1'000'000)) (void)digest.add(v);
  digest.flush();
  double x = 0.0;
  for (auto _ : state) {
    auto value = digest.cdf(x);
    benchmark::DoNotOptimize(value);
    x = x >= 1000.0 ? 0.0 : x + 1.0;
  }
}
BENCHMARK(BM_TDigestCdf);

void BM_TDigestMerge(benchmark::State& state) {
  auto a = *TDigest::create({100.0});
  auto b = *TDigest::create({100.0});
  for (double v : uniform_values(100'000)) {
    (void)a.add(v);
    (void)b.add(v * 0.5);
  }
  a.flush();
  for (auto _ : state) {
    TDigest copy = a;
    copy.merge(b);
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_TDigestMerge);

}  // namespace
