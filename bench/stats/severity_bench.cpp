#include <benchmark/benchmark.h>

#include <array>
#include <string_view>

#include "anomstream/stats/severity.hpp"

namespace {

using anomstream::stats::Severity;

// Config and feedback paths parse level names; to_string is on the alert path.
void BM_SeverityParse(benchmark::State& state) {
  constexpr std::array<std::string_view, 5> names = {"none", "low", "medium", "high", "critical"};
  std::size_t i = 0;
  for (auto _ : state) {
    auto severity = anomstream::stats::parse_severity(names[i]);
    benchmark::DoNotOptimize(severity);
    i = i == 4 ? 0 : i + 1;
  }
}
BENCHMARK(BM_SeverityParse);

void BM_SeverityToString(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    auto name = anomstream::stats::to_string(static_cast<Severity>(i));
    benchmark::DoNotOptimize(name);
    i = i == 4 ? 0 : i + 1;
  }
}
BENCHMARK(BM_SeverityToString);

}  // namespace
