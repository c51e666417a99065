// Writes the generated seed inputs of the fuzz targets, deterministically, into
// <out>/<target>/ (run by hand; the output is committed under tests/fuzz/corpus/):
//   fuzz_make_seeds tests/fuzz/corpus
//   udp_datagram  datagrams built from the traffic generator's observations, each bare,
//                 as a signed envelope and as a payload to seal: batches of
//                 1, 4 and 8, a batch over the limit, a stream changing dimension, a
//                 non-finite value, a flow key, an empty batch;
//   state_file    states of real pipelines after some traffic (z-score and min-max
//                 normalisers, one stream still warming up) as a state file, as the
//                 bare body and as JSON;
//   audit_log     logs written by AuditChain under the fuzz target's test keys: plain,
//                 with a key rotation, with a recovery entry, with a torn last line.
// The config corpus is hand-written (tests/fuzz/corpus/config).

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "anomstream/state/v1/state.pb.h"
#include "anomstream/triage/audit_chain.hpp"
#include "anomstream/triage/audit_events.hpp"
#include "anomstream/v1/alert.pb.h"
#include "anomstream/v1/observation.pb.h"
#include "ingest/udp_auth.hpp"
#include "persist/state_file.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "sink/alert_json.hpp"
#include "traffic_generator.hpp"
#include "udp_fuzz_key.hpp"

namespace {

using namespace anomstream;
namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void add(v1::ObservationBatch& batch, const tools::TrafficObservation& o, std::size_t dims) {
  auto* out = batch.add_observations();
  out->set_tenant(o.tenant);
  out->set_stream(o.stream);
  out->set_timestamp_ns(o.timestamp_ns);
  for (std::size_t d = 0; d < dims; ++d) out->add_values(o.values[d]);
}

// Each datagram three times, one per setting of the target (udp_fuzz_key.hpp): bare,
// sealed with the target's key as an envelope, and as a payload the target seals.
void write_datagram(const fs::path& dir, const std::string& name, const std::string& payload) {
  static const auto keys = daemon::UdpKeyTable::parse(fuzz::UDP_KEYS_FILE, "fuzz keys");
  write(dir / name, std::string(1, char(fuzz::bare)) + payload);
  write(dir / (name + ".envelope"),
        std::string(1, char(fuzz::envelope)) +
            daemon::seal_datagram(*keys->find("k"), static_cast<std::uint64_t>(fuzz::UDP_NOW_NS), payload));
  write(dir / (name + ".sealed"), std::string(1, char(fuzz::sealed_by_target)) + payload);
}

void udp_seeds(const fs::path& dir) {
  tools::TrafficGenerator traffic({.seed = 7, .tenants = 2, .streams_per_tenant = 2, .warmup_steps = 0});
  auto batch_of = [&](std::size_t n, std::size_t dims) {
    v1::ObservationBatch batch;
    for (std::size_t i = 0; i < n; ++i) add(batch, traffic.next(), dims);
    return batch;
  };
  write_datagram(dir, "batch_1", batch_of(1, tools::TRAFFIC_FEATURES).SerializeAsString());
  write_datagram(dir, "batch_4", batch_of(4, tools::TRAFFIC_FEATURES).SerializeAsString());
  write_datagram(dir, "batch_8_small_dims", batch_of(8, 3).SerializeAsString());
  write_datagram(dir, "batch_9_too_long", batch_of(9, 2).SerializeAsString());
  write_datagram(dir, "empty_batch", v1::ObservationBatch().SerializeAsString());

  v1::ObservationBatch mismatch = batch_of(1, 4);
  add(mismatch, traffic.next(), 4);
  mismatch.mutable_observations(1)->set_stream(mismatch.observations(0).stream());
  mismatch.mutable_observations(1)->set_tenant(mismatch.observations(0).tenant());
  mismatch.mutable_observations(1)->add_values(1.0);
  write_datagram(dir, "dimension_change", mismatch.SerializeAsString());

  v1::ObservationBatch bad = batch_of(3, 4);
  bad.mutable_observations(0)->set_values(1, std::numeric_limits<double>::quiet_NaN());
  bad.mutable_observations(1)->set_tenant("");
  bad.mutable_observations(2)->set_stream(std::string("s\x01", 2));
  write_datagram(dir, "invalid_observations", bad.SerializeAsString());

  v1::ObservationBatch keyed = batch_of(2, 4);
  keyed.mutable_observations(0)->set_flow_key("10.0.0.1:443>10.0.0.2:51514/tcp");
  write_datagram(dir, "flow_key", keyed.SerializeAsString());
}

// A tenant's state after `steps` observations per stream of a small forest pipeline.
state::v1::TenantState tenant_state(const std::string& normalizer, std::size_t dims, std::size_t steps) {
  daemon::PipelineSettings settings;
  settings.normalizer = normalizer;
  settings.num_trees = 50;  // the smallest forest the library builds
  settings.sample_size = 8;
  tools::TrafficGenerator traffic({.seed = 11, .tenants = 1, .streams_per_tenant = 2, .warmup_steps = 0});
  state::v1::TenantState body;
  std::vector<std::unique_ptr<daemon::StreamPipeline>> pipelines;
  std::vector<std::string> names;
  std::uint64_t position = 0;
  for (std::size_t i = 0; i < 2 * steps; ++i) {
    const auto o = traffic.next();
    body.set_tenant(o.tenant);
    const std::size_t s = i % 2;
    if (pipelines.size() <= s) {
      pipelines.push_back(*daemon::StreamPipeline::create(settings, o.tenant, o.stream, dims));
      names.push_back(o.stream);
    }
    daemon::WorkItem item;
    item.tenant = o.tenant;
    item.stream = o.stream;
    item.values.assign(o.values.begin(), o.values.begin() + static_cast<std::ptrdiff_t>(dims));
    (void)pipelines[s]->process(item);
    ++position;
  }
  for (std::size_t s = 0; s < pipelines.size(); ++s) pipelines[s]->snapshot(names[s], *body.add_streams());
  body.set_input_position(position);
  return body;
}

void state_seeds(const fs::path& dir) {
  const daemon::Fingerprint none{};
  auto json = [](const state::v1::TenantState& body) {
    std::string out;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(body, &out, options);
    return out;
  };
  const auto warm = tenant_state("z_score", 3, 24);
  write(dir / "z_score.state", daemon::encode_state_file(warm, none, 1'700'000'000'000'000'000));
  write(dir / "z_score.body", warm.SerializeAsString());
  write(dir / "z_score.json", json(tenant_state("z_score", 3, 6)));
  const auto min_max = tenant_state("min_max", 2, 12);
  write(dir / "min_max.state", daemon::encode_state_file(min_max, none, 1'700'000'000'000'000'000));
  write(dir / "min_max.json", json(tenant_state("min_max", 2, 3)));
  const auto cold = tenant_state("none", 2, 1);
  write(dir / "warming_up.state", daemon::encode_state_file(cold, none, 1'700'000'000'000'000'000));
  write(dir / "warming_up.body", cold.SerializeAsString());
}

std::vector<std::byte> test_key(char fill) {
  const std::string text(32, fill);  // as in tests/fuzz/audit_log_fuzz.cpp
  const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
  return {bytes, bytes + text.size()};
}

void audit_seeds(const fs::path& dir) {
  const auto key = test_key('k');
  const auto next_key = test_key('n');
  std::int64_t now = 1'700'000'000'000'000'000;
  v1::Alert alert;
  alert.set_tenant("acme");
  alert.set_stream("edge-1");
  alert.set_score(3.5);
  alert.set_severity(v1::SEVERITY_HIGH);
  auto* feature = alert.add_top_features();
  feature->set_index(3);
  feature->set_share(0.8);
  const std::string alert_json = daemon::alert_to_json(alert);

  auto chain = *triage::AuditChain::create(key);
  std::string plain;
  plain += *chain.append(now++, "config_load", R"({"event":"config_load","source":"anomstreamd.yaml"})") + "\n";
  plain += *chain.append(now++, "alert", alert_json) + "\n";
  plain += *chain.append(now++, "feedback", R"({"event":"feedback","alert":"acme/edge-1","label":"true_positive"})") + "\n";
  write(dir / "plain.log", plain);
  write(dir / "torn.log", plain + plain.substr(0, plain.find('\n') / 2));

  std::string rotated = plain;
  rotated += *chain.append(now++, std::string(triage::AUDIT_KIND_KEY_ROTATED),
                           triage::key_rotated_payload({.previous_key_id = triage::audit_key_id(key),
                                                        .new_key_id = triage::audit_key_id(next_key)})) +
             "\n";
  (void)chain.rekey(next_key);
  rotated += *chain.append(now++, "alert", alert_json) + "\n";
  write(dir / "key_rotated.log", rotated);

  auto recovered_chain = *triage::AuditChain::create(key);
  std::string recovered;
  recovered += *recovered_chain.append(now++, "config_load", R"({"event":"config_load","source":"default"})") + "\n";
  recovered += *recovered_chain.append(
                   now++, std::string(triage::AUDIT_KIND_RECOVERED),
                   triage::audit_recovered_payload(
                       {.last_good_sequence = 1, .torn_bytes = 42, .side_file = "audit.log.torn-1700000000"})) +
               "\n";
  recovered += *recovered_chain.append(now++, "stop", R"({"event":"stop","alerts":0})") + "\n";
  write(dir / "recovered.log", recovered);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds OUT_DIR\n");
    return 2;
  }
  const fs::path out(argv[1]);
  udp_seeds(out / "udp_datagram");
  state_seeds(out / "state_file");
  audit_seeds(out / "audit_log");
  return 0;
}
