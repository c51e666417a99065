// The cost of the state format: encoding a tenant's state file, decoding and restoring
// it, and restoring many tenants from a state directory; with the state file's bytes
// against the detectors' bytes in memory.
//
//   bench_persist --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "persist/state_store.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "traffic_generator.hpp"

namespace {

using namespace anomstream::daemon;
namespace pb = anomstream::state::v1;

// One tenant with one stream of the synthetic traffic (D = 8), past its sample size
// several times over, as a daemon holds it in steady state.
struct TrainedTenant {
  PipelineSettings settings;
  std::unique_ptr<StreamPipeline> pipeline;
  pb::TenantState body;
  Fingerprint fingerprint{};

  TrainedTenant() {
    anomstream::tools::TrafficGenerator generator({.seed = 3, .tenants = 1, .streams_per_tenant = 1});
    for (std::size_t i = 0; i < 3000; ++i) {
      const auto o = generator.next();
      WorkItem item{.tenant = o.tenant, .stream = o.stream, .timestamp_ns = o.timestamp_ns,
                    .values = std::vector<double>(o.values.begin(), o.values.end())};
      if (!pipeline) pipeline = std::move(*StreamPipeline::create(settings, o.tenant, o.stream, item.values.size()));
      if (!pipeline->process(item)) std::abort();
    }
    fingerprint = model_fingerprint(settings);
    body = for_tenant("tenant-0");
  }

  [[nodiscard]] pb::TenantState for_tenant(const std::string& tenant) const {
    pb::TenantState out;
    out.set_tenant(tenant);
    out.set_input_position(pipeline->position());
    pipeline->snapshot("host-0", *out.add_streams());
    return out;
  }
};

const TrainedTenant& trained() {
  static const TrainedTenant tenant;
  return tenant;
}

void BM_EncodeTenantState(benchmark::State& state) {
  const auto& t = trained();
  std::size_t bytes = 0;
  for (auto _ : state) {
    pb::TenantState body;
    body.set_tenant("tenant-0");
    body.set_input_position(t.pipeline->position());
    t.pipeline->snapshot("host-0", *body.add_streams());
    const std::string file = encode_state_file(body, t.fingerprint, 0);
    bytes = file.size();
    benchmark::DoNotOptimize(file.data());
  }
  state.counters["file_bytes"] = static_cast<double>(bytes);
  state.counters["memory_bytes"] = static_cast<double>(t.pipeline->memory_bytes());
  state.counters["file_per_memory"] = static_cast<double>(bytes) / static_cast<double>(t.pipeline->memory_bytes());
}
BENCHMARK(BM_EncodeTenantState)->Unit(benchmark::kMicrosecond);

void BM_DecodeAndRestoreTenant(benchmark::State& state) {
  const auto& t = trained();
  const std::string file = encode_state_file(t.body, t.fingerprint, 0);
  const std::string tenant = "tenant-0";
  for (auto _ : state) {
    auto decoded = decode_state_file(file, &tenant, &t.fingerprint);
    if (!decoded) std::abort();
    auto pipeline = StreamPipeline::restore(t.settings, decoded->body.streams(0));
    if (!pipeline) std::abort();
    benchmark::DoNotOptimize(pipeline->get());
  }
}
BENCHMARK(BM_DecodeAndRestoreTenant)->Unit(benchmark::kMicrosecond);

// Restoring N tenants from a state directory as workers do after a restart: read,
// check, parse and rebuild every detector (files warm in the page cache).
void BM_RestoreTenantsFromDirectory(benchmark::State& state) {
  const auto tenants = static_cast<std::size_t>(state.range(0));
  const auto& t = trained();
  const auto dir = std::filesystem::temp_directory_path() / ("anomstream-bench-state-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  prometheus::Registry registry;
  auto store = StateStore::open({.dir = dir}, registry);
  if (!store) std::abort();
  for (std::size_t i = 0; i < tenants; ++i) {
    const std::string name = "tenant-" + std::to_string(i);
    if (!(*store)->submit(name, encode_state_file(t.for_tenant(name), t.fingerprint, 0), true)) std::abort();
  }
  (*store)->flush();
  for (auto _ : state) {
    for (std::size_t i = 0; i < tenants; ++i) {
      const std::string name = "tenant-" + std::to_string(i);
      auto loaded = (*store)->load(name, t.fingerprint);
      if (!loaded) std::abort();
      auto pipeline = StreamPipeline::restore(t.settings, loaded->file.body.streams(0));
      if (!pipeline) std::abort();
      benchmark::DoNotOptimize(pipeline->get());
    }
  }
  state.counters["tenants"] = static_cast<double>(tenants);
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RestoreTenantsFromDirectory)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
