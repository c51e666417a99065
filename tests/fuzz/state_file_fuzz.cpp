// Fuzz target: a tenant's saved state, through what the daemon does when it restores a
// tenant (Worker::restore_tenant): decode_state_file (envelope, header, digest, body),
// then StreamPipeline::restore of every stream, which re-checks the invariants of the
// normaliser, the forest and its trees, the adaptive threshold and the meta-drift
// detector. A pipeline that restores must then be usable: it processes a few
// observations and snapshots itself again. `anomstreamctl state dump`
// (state_file_to_json) runs on the same bytes.
//
// Beyond "no crash": a restored pipeline takes no more memory than one the daemon's
// configuration would build for the same stream (PIPELINE below; ingest.max_dimension
// MAX_DIMENSION), so a small file cannot make restore allocate more than the
// configuration allows.
//
// The input is told apart by its first bytes, so one corpus holds all three forms:
//   "ASTATE\r\n..."  a state file, as the daemon reads it from its state directory;
//   "{..."           a TenantState in protobuf's JSON mapping (a hand-edited state);
//   anything else    a TenantState body in the binary protobuf encoding.
// The last two are parsed, then written as a state file with encode_state_file and go
// the same way; without that no mutated body would get past the header's SHA-256.
// Seeds: tests/fuzz/corpus/state_file (states written by real pipelines after some traffic).

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/state/v1/state.pb.h"
#include "persist/state_file.hpp"
#include "pipeline/stream_pipeline.hpp"

namespace {

using namespace anomstream::daemon;

constexpr std::size_t OBSERVATIONS_AFTER_RESTORE = 3;
constexpr std::size_t MAX_DIMENSION = 64;

// The daemon's pipeline settings, as configured: the forest of the seeds.
PipelineSettings pipeline_settings() {
  PipelineSettings settings;
  settings.num_trees = 50;
  settings.sample_size = 8;
  settings.max_dimension = MAX_DIMENSION;
  return settings;
}

void check(bool ok) {
  if (!ok) std::abort();
}

void restore_tenant(const std::string& bytes) {
  auto file = decode_state_file(bytes);
  (void)state_file_to_json(bytes);
  if (!file) return;
  static const PipelineSettings settings = pipeline_settings();
  std::vector<std::unique_ptr<StreamPipeline>> pipelines;
  for (const auto& stream : file->body.streams()) {
    auto pipeline = StreamPipeline::restore(settings, stream);
    if (!pipeline) return;  // the daemon quarantines the file: the tenant starts cold
    check(stream.dimension() <= MAX_DIMENSION);
    auto configured = StreamPipeline::create(settings, file->body.tenant(), stream.stream(), stream.dimension());
    check(configured.has_value());
    check((*pipeline)->memory_bytes() <= 2 * (*configured)->memory_bytes());
    pipelines.push_back(std::move(*pipeline));
  }
  for (int s = 0; s < file->body.streams_size(); ++s) {
    StreamPipeline& pipeline = *pipelines[static_cast<std::size_t>(s)];
    const auto& stream = file->body.streams(s);
    WorkItem item;
    item.tenant = file->body.tenant();
    item.stream = stream.stream();
    for (std::size_t i = 0; i < OBSERVATIONS_AFTER_RESTORE; ++i) {
      item.values.assign(stream.dimension(), 0.0);
      for (std::size_t d = 0; d < item.values.size(); ++d) {
        item.values[d] = static_cast<double>((d * 7 + i * 3) % 11) - 5.0;
      }
      item.update = i % 2 == 0;
      (void)pipeline.process(item);
    }
    (void)pipeline.memory_bytes();
    anomstream::state::v1::StreamState again;
    pipeline.snapshot(stream.stream(), again);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // mutated strings are not UTF-8: one log line each
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.starts_with(STATE_MAGIC)) {
    restore_tenant(bytes);
    return 0;
  }
  anomstream::state::v1::TenantState body;
  const auto first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && bytes[first] == '{') {
    if (!google::protobuf::util::JsonStringToMessage(bytes, &body).ok()) return 0;
  } else if (size > static_cast<std::size_t>(INT_MAX) || !body.ParseFromString(bytes)) {
    return 0;
  }
  restore_tenant(encode_state_file(body, Fingerprint{}, 0));
  return 0;
}
