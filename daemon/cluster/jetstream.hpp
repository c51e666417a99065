#pragma once
// The JetStream side of a scale-out deployment: the connection, and the objects every
// instance shares, created by whichever instance comes first (docs/scale-out.md):
//   stream <stream>            subjects <subject_prefix>.obs.*, limits retention, file
//                              storage, a 2-minute de-duplication window on message ids;
//   bucket <stream>-meta       "partitions" (P, fixed at creation) and "key" (the keyed
//                              hash of tenants to partitions and of alert ids, drawn by
//                              the first instance);
//   bucket <group>-leases      "p<n>": the instance that owns partition n (TTL: the lease);
//   bucket <group>-members     one key per live instance (TTL: the lease), its heartbeat;
//   bucket <group>-state       hand-off snapshots (cluster/partition_snapshot.hpp);
//   consumer <group>-p<n>      durable, pull, explicit ack, filtered on partition n.
// Errors name the key or object that failed.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "anomstream/core/secret_key.hpp"
#include "anomstream/core/siphash.hpp"
#include "cluster/nats_handles.hpp"
#include "config/daemon_config.hpp"

namespace anomstream::daemon {

// Names and the partition function; the same on every instance of the stream.
struct ClusterLayout {
  std::string stream;
  std::string prefix;
  std::string group;
  std::string instance;
  std::uint32_t partitions = 1;
  SipKey key{};

  [[nodiscard]] std::uint32_t partition_of(std::string_view tenant) const {
    return static_cast<std::uint32_t>(siphash24(key, tenant) % partitions);
  }
  [[nodiscard]] std::string subject(std::uint32_t p) const { return prefix + ".obs." + std::to_string(p); }
  [[nodiscard]] std::string consumer(std::uint32_t p) const { return group + "-p" + std::to_string(p); }
  [[nodiscard]] static std::string lease_key(std::uint32_t p) { return "p" + std::to_string(p); }
  [[nodiscard]] std::string meta_bucket() const { return stream + "-meta"; }
  [[nodiscard]] std::string lease_bucket() const { return group + "-leases"; }
  [[nodiscard]] std::string member_bucket() const { return group + "-members"; }
  [[nodiscard]] std::string state_bucket() const { return group + "-state"; }
  // 16 bytes naming the alert of message `sequence`: the sequence (big-endian), then a
  // keyed hash of it with the tenant and stream, so an id cannot be forged without the key.
  [[nodiscard]] std::array<std::uint8_t, 16> alert_id(std::string_view tenant, std::string_view stream,
                                                      std::uint64_t sequence) const;
};

struct JetStreamLink {
  NatsConnection connection;
  JsContext js;
};

// Connects to `servers` (comma-separated) with the credentials file if any; the client
// reconnects on its own afterwards.
std::expected<JetStreamLink, std::string> connect_jetstream(const DaemonConfig::JetStream& config);

// Binds `bucket`, creating it when absent with `ttl_ms` (0: none) and `max_value` bytes.
std::expected<KvStore, std::string> open_bucket(jsCtx* js, const std::string& bucket, std::int64_t ttl_ms,
                                                std::int32_t max_value);

// Creates or checks the stream and the meta bucket; reads (or, first, draws and stores)
// the partition count and key. A partition count other than the stream's is an error.
std::expected<ClusterLayout, std::string> prepare_cluster(JetStreamLink& link, const DaemonConfig::JetStream& config,
                                                          const SecretKeyDrawer& draw_key);

// This host's name and the process id, for ingest.jetstream.instance "".
std::string default_instance_name();

}  // namespace anomstream::daemon
