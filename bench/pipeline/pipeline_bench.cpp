// The daemon's per-stream pipeline (Normalizer -> ThresholdedForest -> severity -> meta
// drift, alerts built with attribution; or SubsequenceKMeans in its place) run on one thread over what anomstream_load's
// first sender sends: the same 64 batches of 256 synthetic observations (seed 100),
// cycled, round-robin over the streams. This is the library's own single-thread rate on
// the daemon's workload, against which a worker's scored observations per busy core
// (anomstream_load's "per busy worker core") are compared.
//
//   bench_pipeline --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/stream_pipeline.hpp"
#include "triage/explain.hpp"
#include "triage/triage_desk.hpp"
#include "traffic_generator.hpp"

namespace {

using anomstream::daemon::PipelineSettings;
using anomstream::daemon::StreamPipeline;
using anomstream::daemon::WorkItem;

constexpr std::size_t ROWS = 64 * 256;     // anomstream_load's pre-generated batches
constexpr std::size_t WARM_UP_PASSES = 4;  // every stream past its sample size many times

// Args: tenants, streams per tenant, detector (0: forest, 1: kmeans with the default
// pipeline.kmeans, W = 40, k = 10).
void BM_StreamPipeline(benchmark::State& state) {
  anomstream::tools::TrafficGenerator generator({.seed = 100,
                                                 .tenants = static_cast<std::uint32_t>(state.range(0)),
                                                 .streams_per_tenant = static_cast<std::uint32_t>(state.range(1))});
  std::vector<WorkItem> items(ROWS);
  for (auto& item : items) {
    const auto o = generator.next();
    item = WorkItem{.tenant = o.tenant, .stream = o.stream, .timestamp_ns = o.timestamp_ns,
                    .values = std::vector<double>(o.values.begin(), o.values.end())};
  }
  PipelineSettings settings;
  if (state.range(2) == 1) settings.detector = anomstream::daemon::DetectorKind::kmeans;
  std::map<std::string, std::unique_ptr<StreamPipeline>> pipelines;
  // One pipeline pointer per row, so the loop measures the pipelines, not the map.
  std::vector<StreamPipeline*> route(ROWS);
  for (std::size_t i = 0; i < ROWS; ++i) {
    auto& p = pipelines[items[i].tenant + '/' + items[i].stream];
    if (!p) {
      auto created = StreamPipeline::create(settings, items[i].tenant, items[i].stream, items[i].values.size());
      if (!created) std::abort();
      p = std::move(*created);
    }
    route[i] = p.get();
  }
  // kmeans: every stream past its warm-up (its inline refits), twice over.
  const std::size_t streams = pipelines.size();
  const std::size_t passes = std::max(WARM_UP_PASSES, 2 * settings.kmeans.warmup * streams / ROWS + 1);
  for (std::size_t pass = 0; pass < (state.range(2) == 1 ? passes : WARM_UP_PASSES); ++pass) {
    for (std::size_t i = 0; i < ROWS; ++i) {
      if (!route[i]->process(items[i])) std::abort();
    }
  }
  std::size_t next = 0;
  std::size_t alerts = 0;
  for (auto _ : state) {
    const auto outcome = route[next]->process(items[next]);
    alerts += outcome && outcome->alert ? 1 : 0;
    next = next + 1 == ROWS ? 0 : next + 1;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["alert_fraction"] = static_cast<double>(alerts) / static_cast<double>(state.iterations());
}

}  // namespace

BENCHMARK(BM_StreamPipeline)
    ->ArgNames({"tenants", "streams", "kmeans"})
    ->Args({2, 1, 0})
    ->Args({4, 1, 0})
    ->Args({16, 4, 0})
    ->Args({2, 1, 1})
    ->Args({4, 1, 1})
    ->Args({16, 4, 1})
    ->Unit(benchmark::kMicrosecond);

namespace {

// ExplainAlert as the daemon answers it with the default triage.explain settings: the
// worker's copy of a warmed forest stream's model (256 rows of its sample, 16 background
// rows), then SAGE on the copy (at most 512 permutations). Arg: the stream's dimension
// is the generator's; one stream of one tenant.
void BM_ExplainAlert(benchmark::State& state) {
  anomstream::tools::TrafficGenerator generator({.seed = 100, .tenants = 1, .streams_per_tenant = 1});
  std::vector<WorkItem> items(4096);
  for (auto& item : items) {
    const auto o = generator.next();
    item = WorkItem{.tenant = o.tenant, .stream = o.stream, .timestamp_ns = o.timestamp_ns,
                    .values = std::vector<double>(o.values.begin(), o.values.end())};
  }
  auto pipeline = StreamPipeline::create(PipelineSettings{}, items[0].tenant, items[0].stream, items[0].values.size());
  if (!pipeline) std::abort();
  for (auto& item : items) {
    if (!(*pipeline)->process(item)) std::abort();
  }
  std::size_t permutations = 0;
  for (auto _ : state) {
    auto model = (*pipeline)->explain_model(256, 16);
    if (!model) std::abort();
    auto report = anomstream::daemon::explain(*model, 512);
    if (!report) std::abort();
    permutations += report->permutations;
  }
  state.counters["dimension"] = static_cast<double>(items[0].values.size());
  state.counters["permutations"] = static_cast<double>(permutations) / static_cast<double>(state.iterations());
}

// One alert through a tenant's triage desk as the worker raises it, default settings
// (recent_alerts 1024): id, incident (the run rule scans the recent alerts; a miss then
// signs the attribution and probes), calibrated probability. Arg 1: every row of the
// stream alerts, so each alert continues a run; arg 0: alerts 2 rows apart, so each
// scans, misses and clusters by signature; arg 2: no stream position (no scan), the
// cost without the run rule. The desk is warmed with 2048 alerts first.
void BM_TriageDeskTriage(benchmark::State& state) {
  const bool run = state.range(0) == 1;
  const bool positioned = state.range(0) != 2;
  auto desk = anomstream::daemon::TriageDesk::create(anomstream::daemon::TriageSettings{});
  if (!desk) std::abort();
  std::uint64_t position = 0;
  std::uint32_t feature = 0;
  const auto make = [&] {
    anomstream::v1::Alert alert;
    alert.set_tenant("tenant-0");
    alert.set_stream("host-0");
    alert.set_detector("forest");
    alert.set_score(1.3);
    alert.set_threshold(1.0);
    position += run ? 1 : 2;
    alert.set_timestamp_ns(static_cast<std::int64_t>(position) * 1'000'000'000);
    for (std::uint32_t k = 0; k < 3; ++k) {
      auto* f = alert.add_top_features();
      f->set_index((feature + k * 3) % 8);
      f->set_share(0.6 / (k + 1));
      f->set_direction(anomstream::v1::DIRECTION_HIGH);
    }
    feature = (feature + 1) % 8;
    return alert;
  };
  for (int i = 0; i < 2048; ++i) {
    auto alert = make();
    if (!(*desk)->triage(alert, 0, nullptr, positioned ? position : 0)) std::abort();
  }
  for (auto _ : state) {
    auto alert = make();
    if (!(*desk)->triage(alert, 0, nullptr, positioned ? position : 0)) std::abort();
    benchmark::DoNotOptimize(alert.cluster_id());
  }
}

}  // namespace

BENCHMARK(BM_ExplainAlert)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TriageDeskTriage)->Arg(1)->Arg(0)->Arg(2);
