#include "cluster_status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "anomstream/state/v1/cluster.pb.h"
#include "anomstream/triage/json_text.hpp"
#include "cluster/jetstream.hpp"

namespace anomstream::tools {
namespace {

using daemon::ClusterLayout;
using daemon::nats_error;

std::string bucket_error(const std::string& bucket, natsStatus s, const ClusterQuery& query) {
  if (s == NATS_NOT_FOUND) {
    return "key-value bucket " + bucket + " does not exist on " + query.servers +
           " (no anomstreamd with this stream and group has started there)";
  }
  return "key-value bucket " + bucket + " on " + query.servers + ": " + nats_error(s);
}

std::expected<daemon::KvStore, std::string> open_bucket(jsCtx* js, const std::string& bucket,
                                                       const ClusterQuery& query) {
  kvStore* kv = nullptr;
  if (const natsStatus s = js_KeyValue(&kv, js, bucket.c_str()); s != NATS_OK) {
    return std::unexpected(bucket_error(bucket, s, query));
  }
  return daemon::KvStore(kv);
}

// The entry under `key`; null when the key is absent or deleted.
std::expected<daemon::KvEntry, std::string> get(kvStore* kv, const std::string& key) {
  kvEntry* entry = nullptr;
  const natsStatus s = kvStore_Get(&entry, kv, key.c_str());
  if (s == NATS_NOT_FOUND) return daemon::KvEntry();
  if (s != NATS_OK) return std::unexpected(std::string(kvStore_Bucket(kv)) + " key " + key + ": " + nats_error(s));
  return daemon::KvEntry(entry);
}

std::string value_of(kvEntry* entry) {
  return {static_cast<const char*>(kvEntry_Value(entry)), static_cast<std::size_t>(kvEntry_ValueLen(entry))};
}

std::expected<std::uint32_t, std::string> partition_count(jsCtx* js, const ClusterLayout& layout,
                                                          const ClusterQuery& query) {
  const std::string bucket = layout.meta_bucket();
  auto meta = open_bucket(js, bucket, query);
  if (!meta) return std::unexpected(meta.error());
  auto entry = get(meta->get(), "partitions");
  if (!entry) return std::unexpected(entry.error());
  if (!*entry) return std::unexpected("bucket " + bucket + " has no key \"partitions\"");
  const std::string text = value_of(entry->get());
  std::uint32_t partitions = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), partitions);
  if (ec != std::errc() || end != text.data() + text.size() || partitions == 0) {
    return std::unexpected("bucket " + bucket + " key \"partitions\": not a positive count: \"" + text + "\"");
  }
  return partitions;
}

std::expected<std::vector<std::string>, std::string> live_members(kvStore* members) {
  kvKeysList keys{};
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  options.IgnoreDeletes = true;
  const natsStatus s = kvStore_Keys(&keys, members, &options);
  if (s == NATS_NOT_FOUND) return std::vector<std::string>{};
  if (s != NATS_OK) return std::unexpected(std::string(kvStore_Bucket(members)) + " keys: " + nats_error(s));
  std::vector<std::string> names(keys.Keys, keys.Keys + keys.Count);
  kvKeysList_Destroy(&keys);
  std::ranges::sort(names);
  return names;
}

// The consumer's progress; the fields stay zero when the consumer does not exist.
std::expected<void, std::string> read_consumer(jsCtx* js, const ClusterLayout& layout, PartitionStatus& p) {
  const std::string name = layout.consumer(p.partition);
  jsConsumerInfo* info = nullptr;
  jsErrCode code{};
  const natsStatus s = js_GetConsumerInfo(&info, js, layout.stream.c_str(), name.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND) return {};
  if (s != NATS_OK) return std::unexpected("consumer " + name + ": " + nats_error(s, code));
  const daemon::JsConsumerInfo owned(info);
  p.consumer = true;
  p.pending = info->NumPending;
  p.ack_pending = static_cast<std::uint64_t>(std::max<std::int64_t>(info->NumAckPending, 0));
  p.redelivered = static_cast<std::uint64_t>(std::max<std::int64_t>(info->NumRedelivered, 0));
  p.ack_floor = info->AckFloor.Stream;
  p.delivered = info->Delivered.Stream;
  return {};
}

std::expected<void, std::string> read_manifest(kvStore* state, PartitionStatus& p) {
  const std::string key = ClusterLayout::lease_key(p.partition);  // the manifest's key too
  auto entry = get(state, key);
  if (!entry) return std::unexpected(entry.error());
  if (!*entry) return {};
  state::v1::PartitionManifest manifest;
  if (!manifest.ParseFromArray(kvEntry_Value(entry->get()), kvEntry_ValueLen(entry->get()))) {
    return std::unexpected(std::string(kvStore_Bucket(state)) + " key " + key + ": not a PartitionManifest");
  }
  p.snapshot_sequence = manifest.applied_sequence();
  p.snapshot_generation = manifest.generation();
  return {};
}

}  // namespace

std::uint64_t ClusterStatus::pending() const noexcept {
  std::uint64_t sum = 0;
  for (const auto& p : partitions) sum += p.pending;
  return sum;
}

std::uint64_t ClusterStatus::ack_pending() const noexcept {
  std::uint64_t sum = 0;
  for (const auto& p : partitions) sum += p.ack_pending;
  return sum;
}

std::size_t ClusterStatus::unowned() const noexcept {
  return static_cast<std::size_t>(std::ranges::count_if(partitions, [](const auto& p) { return p.owner.empty(); }));
}

std::size_t ClusterStatus::owned_by(const std::string& instance) const noexcept {
  return static_cast<std::size_t>(
      std::ranges::count_if(partitions, [&](const auto& p) { return p.owner == instance; }));
}

bool ClusterStatus::drained() const noexcept {
  return !partitions.empty() && std::ranges::all_of(partitions, [](const auto& p) {
    return !p.owner.empty() && p.consumer && p.pending == 0 && p.ack_pending == 0;
  });
}

std::expected<ClusterStatus, std::string> read_cluster_status(const ClusterQuery& query) {
  daemon::DaemonConfig::JetStream config;
  config.servers = query.servers;
  config.credentials_file = query.credentials_file;
  config.publish_timeout_ms = query.timeout_ms;
  auto link = daemon::connect_jetstream(config);
  if (!link) return std::unexpected(link.error());
  jsCtx* js = link->js.get();
  ClusterLayout layout;
  layout.stream = query.stream;
  layout.group = query.group;

  ClusterStatus status{.stream = query.stream, .group = query.group};
  jsStreamInfo* raw_stream = nullptr;
  jsErrCode code{};
  if (const natsStatus s = js_GetStreamInfo(&raw_stream, js, query.stream.c_str(), nullptr, &code); s != NATS_OK) {
    if (s == NATS_NOT_FOUND) {
      return std::unexpected("stream " + query.stream + " does not exist on " + query.servers +
                             " (no anomstreamd with ingest.jetstream.stream = " + query.stream + " has started there)");
    }
    return std::unexpected("stream " + query.stream + " on " + query.servers + ": " + nats_error(s, code) +
                           (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ? " (is JetStream enabled, -js?)" : ""));
  }
  const daemon::JsStreamInfo stream_info(raw_stream);
  status.messages = raw_stream->State.Msgs;
  status.last_sequence = raw_stream->State.LastSeq;

  const auto partitions = partition_count(js, layout, query);
  if (!partitions) return std::unexpected(partitions.error());
  auto leases = open_bucket(js, layout.lease_bucket(), query);
  if (!leases) return std::unexpected(leases.error());
  auto members = open_bucket(js, layout.member_bucket(), query);
  if (!members) return std::unexpected(members.error());
  auto live = live_members(members->get());
  if (!live) return std::unexpected(live.error());
  status.members = std::move(*live);
  // The state bucket appears with the group's first hand-off snapshot.
  daemon::KvStore state;
  if (auto opened = open_bucket(js, layout.state_bucket(), query)) state = std::move(*opened);

  for (std::uint32_t n = 0; n < *partitions; ++n) {
    PartitionStatus& p = status.partitions.emplace_back(PartitionStatus{.partition = n});
    auto lease = get(leases->get(), ClusterLayout::lease_key(n));
    if (!lease) return std::unexpected(lease.error());
    if (*lease) {
      p.owner = value_of(lease->get());
      p.lease_revision = kvEntry_Revision(lease->get());
    }
    if (auto read = read_consumer(js, layout, p); !read) return std::unexpected(read.error());
    if (state) {
      if (auto read = read_manifest(state.get(), p); !read) return std::unexpected(read.error());
    }
  }
  return status;
}

std::string to_json(const ClusterStatus& status) {
  std::string out = "{\"stream\":";
  triage::append_json_string(out, status.stream);
  out += ",\"group\":";
  triage::append_json_string(out, status.group);
  out += fmt::format(",\"messages\":{},\"last_sequence\":{},\"members\":[", status.messages, status.last_sequence);
  for (std::size_t i = 0; i < status.members.size(); ++i) {
    out += i == 0 ? "{\"instance\":" : ",{\"instance\":";
    triage::append_json_string(out, status.members[i]);
    out += fmt::format(",\"owned\":{}}}", status.owned_by(status.members[i]));
  }
  out += "],\"partitions\":[";
  for (std::size_t i = 0; i < status.partitions.size(); ++i) {
    const PartitionStatus& p = status.partitions[i];
    out += fmt::format("{}{{\"partition\":{},\"owner\":", i == 0 ? "" : ",", p.partition);
    if (p.owner.empty()) {
      out += "null";
    } else {
      triage::append_json_string(out, p.owner);
    }
    out += fmt::format(
        ",\"lease_revision\":{},\"consumer\":{},\"pending\":{},\"ack_pending\":{},\"redelivered\":{},"
        "\"ack_floor\":{},\"delivered\":{},\"snapshot_sequence\":{},\"snapshot_generation\":{}}}",
        p.lease_revision, p.consumer, p.pending, p.ack_pending, p.redelivered, p.ack_floor, p.delivered,
        p.snapshot_sequence ? std::to_string(*p.snapshot_sequence) : "null", p.snapshot_generation);
  }
  out += fmt::format("],\"unowned\":{},\"pending\":{},\"ack_pending\":{},\"drained\":{}}}", status.unowned(),
                     status.pending(), status.ack_pending(), status.drained());
  return out;
}

std::string to_text(const ClusterStatus& status) {
  std::string out = fmt::format("stream {}: {} messages, last sequence {}; group {}: {} partitions\n", status.stream,
                                status.messages, status.last_sequence, status.group, status.partitions.size());
  out += fmt::format("{:<9} {:<20} {:>8} {:>9} {:>11} {:>11} {:>10} {:>10} {:>9}\n", "partition", "owner", "lease",
                     "pending", "ack_pending", "redelivered", "ack_floor", "delivered", "snapshot");
  for (const PartitionStatus& p : status.partitions) {
    out += fmt::format("{:<9} {:<20} {:>8} ", fmt::format("p{}", p.partition), p.owner.empty() ? "-" : p.owner,
                       p.lease_revision == 0 ? std::string("-") : std::to_string(p.lease_revision));
    out += p.consumer ? fmt::format("{:>9} {:>11} {:>11} {:>10} {:>10}", p.pending, p.ack_pending, p.redelivered,
                                    p.ack_floor, p.delivered)
                      : fmt::format("{:>9} {:>11} {:>11} {:>10} {:>10}", "-", "-", "-", "-", "-");
    out += fmt::format(" {:>9}\n", p.snapshot_sequence ? std::to_string(*p.snapshot_sequence) : "-");
  }
  // Owners whose heartbeat has lapsed still hold their lease until it expires.
  std::map<std::string, bool> listed;
  for (const auto& m : status.members) listed[m] = true;
  for (const auto& p : status.partitions) {
    if (!p.owner.empty()) listed.try_emplace(p.owner, false);
  }
  for (const auto& [instance, member] : listed) {
    out += fmt::format("member {:<20} owns {} partition(s){}\n", instance, status.owned_by(instance),
                       member ? "" : " (no live heartbeat)");
  }
  out += fmt::format("{} member(s), {} unowned partition(s), {} pending, {} awaiting acknowledgement\n",
                     status.members.size(), status.unowned(), status.pending(), status.ack_pending());
  return out;
}

}  // namespace anomstream::tools
