#include <benchmark/benchmark.h>

#include <string>

#include "anomstream/triage/alert_record.hpp"

namespace {

using anomstream::triage::AlertContext;
using anomstream::triage::AlertRecord;
using anomstream::triage::AttributionDirection;

// A record with range(0) attribution entries.
AlertRecord record(std::size_t entries) {
  AlertContext c{.alert_id = "tenant-0/host-1/17", .tenant = "tenant-0", .stream = "host-1",
                 .timestamp_ns = 1700000812000000000, .received_ns = 1700000812000001000,
                 .emitted_ns = 1700000812000002000, .score = 3.41, .probability = 0.8123,
                 .severity = anomstream::stats::Severity::high, .attribution = {}, .cluster_id = 42,
                 .model_version = "forest-v3"};
  for (std::size_t i = 0; i < entries; ++i) {
    c.attribution.push_back({i, 0.5 / static_cast<double>(i + 1), AttributionDirection::high});
  }
  return *AlertRecord::create(std::move(c));
}

void BM_AlertRecordToJson(benchmark::State& state) {
  const auto r = record(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(r.to_json());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AlertRecordToJson)->Arg(5);

void BM_AlertRecordFromJson(benchmark::State& state) {
  const std::string text = record(static_cast<std::size_t>(state.range(0))).to_json();
  for (auto _ : state) benchmark::DoNotOptimize(AlertRecord::from_json(text));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_AlertRecordFromJson)->Arg(5);

}  // namespace
