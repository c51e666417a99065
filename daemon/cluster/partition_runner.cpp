#include "cluster/partition_runner.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include "anomstream/state/v1/cluster.pb.h"
#include "cluster/cluster_node.hpp"
#include "common/clock.hpp"
#include "persist/state_file.hpp"

namespace anomstream::daemon {
namespace {

constexpr std::int64_t FETCH_WAIT_MS = 250;
constexpr auto SEND_WAIT = std::chrono::milliseconds(100);
constexpr auto COMMAND_WAIT = std::chrono::seconds(30);
constexpr auto SINK_WAIT = std::chrono::seconds(10);
// Snapshot chunks: well below the server's default largest message (1 MiB).
constexpr std::size_t CHUNK_BYTES = 512 * 1024;

std::string chunk_key(std::uint32_t partition, std::uint64_t generation, std::uint32_t index) {
  return "p" + std::to_string(partition) + "." + std::to_string(generation) + "." + std::to_string(index);
}

struct MsgList {
  natsMsgList list{};
  ~MsgList() { natsMsgList_Destroy(&list); }
};

}  // namespace

PartitionRunner::PartitionRunner(ClusterNode& node, std::uint32_t partition, std::uint64_t revision,
                                 std::int64_t valid_until_ns)
    : node_(node), partition_(partition), revision_(revision), valid_until_ns_(valid_until_ns) {}

PartitionRunner::~PartitionRunner() {
  stop(false);
  join();
}

void PartitionRunner::start() {
  thread_ = std::thread([this] { run(); });
}

void PartitionRunner::stop(bool graceful) {
  if (!graceful) graceful_.store(false, std::memory_order_release);
  stop_.store(true, std::memory_order_release);
}

void PartitionRunner::join() {
  if (thread_.joinable()) thread_.join();
}

bool PartitionRunner::lease_valid() const { return steady_now_ns() < valid_until_ns_.load(std::memory_order_acquire); }

bool PartitionRunner::partition_command(PartitionCommand::Kind kind, std::vector<TenantStateFile> states,
                                        std::vector<TenantStateFile>* out) {
  Admission& admission = *node_.admission_;
  const ClusterLayout& layout = node_.layout_;
  const std::uint32_t p = partition_;
  // Install goes to each tenant's own worker; snapshot and drop to every worker.
  std::vector<std::vector<TenantStateFile>> per_worker(admission.worker_count());
  for (auto& state : states) per_worker[admission.worker_of(state.tenant)].push_back(std::move(state));
  std::vector<std::future<std::expected<std::vector<TenantStateFile>, std::string>>> answers;
  for (std::size_t w = 0; w < admission.worker_count(); ++w) {
    auto command = std::make_shared<PartitionCommand>();
    command->kind = kind;
    command->member = [&layout, p](std::string_view tenant) { return layout.partition_of(tenant) == p; };
    command->states = std::move(per_worker[w]);
    answers.push_back(command->done.get_future());
    WorkItem item;
    item.command = std::move(command);
    hotpath::SendStatus sent = hotpath::SendStatus::timed_out;
    while ((sent = admission.send_to(w, item, SEND_WAIT)) == hotpath::SendStatus::timed_out && !hard_stop()) {
    }
    if (sent != hotpath::SendStatus::sent) return false;  // the workers are stopping, or the lease is lost
  }
  for (auto& answer : answers) {
    if (answer.wait_for(COMMAND_WAIT) != std::future_status::ready) return false;
    auto result = answer.get();
    if (!result) {
      node_.metrics_.errors->Increment();
      spdlog::error("event=partition_handoff_failed partition={} error=\"{}\"", partition_, result.error());
      return false;
    }
    if (out != nullptr) out->insert(out->end(), std::make_move_iterator(result->begin()), std::make_move_iterator(result->end()));
  }
  return true;
}

// The newest snapshot's tenants into the workers, replacing whatever they hold of the
// partition (this instance may have owned it before).
bool PartitionRunner::hand_off() {
  const auto started = std::chrono::steady_clock::now();
  if (!partition_command(PartitionCommand::Kind::drop, {}, nullptr)) return false;
  kvStore* state = node_.state_.get();
  kvEntry* raw = nullptr;
  const std::string manifest_key = ClusterLayout::lease_key(partition_);
  natsStatus s = kvStore_Get(&raw, state, manifest_key.c_str());
  KvEntry entry(raw);
  if (s == NATS_OK) {
    state::v1::PartitionManifest manifest;
    if (!manifest.ParseFromArray(kvEntry_Value(entry.get()), kvEntry_ValueLen(entry.get()))) {
      node_.metrics_.errors->Increment();
      spdlog::error("event=partition_snapshot_bad partition={} error=\"manifest does not parse\"", partition_);
      return false;
    }
    std::string bytes;
    for (std::uint32_t i = 0; i < manifest.chunks(); ++i) {
      kvEntry* chunk_raw = nullptr;
      const std::string key = chunk_key(partition_, manifest.generation(), i);
      s = kvStore_Get(&chunk_raw, state, key.c_str());
      KvEntry chunk(chunk_raw);
      if (s != NATS_OK) {
        node_.metrics_.errors->Increment();
        spdlog::error("event=partition_snapshot_bad partition={} error=\"chunk {}: {}\"", partition_, key, nats_error(s));
        return false;
      }
      bytes.append(static_cast<const char*>(kvEntry_Value(chunk.get())), static_cast<std::size_t>(kvEntry_ValueLen(chunk.get())));
    }
    const auto digest = sha256(bytes);
    state::v1::PartitionSnapshot snapshot;
    if (bytes.size() != manifest.bytes() || manifest.sha256().size() != digest.size() ||
        std::memcmp(manifest.sha256().data(), digest.data(), digest.size()) != 0 || !snapshot.ParseFromString(bytes) ||
        snapshot.names_size() != snapshot.tenants_size()) {
      node_.metrics_.errors->Increment();
      spdlog::error("event=partition_snapshot_bad partition={} generation={} error=\"length, digest or body wrong\"",
                    partition_, manifest.generation());
      return false;
    }
    std::vector<TenantStateFile> states;
    for (int i = 0; i < snapshot.tenants_size(); ++i) {
      states.push_back({snapshot.names(i), std::move(*snapshot.mutable_tenants(i))});
    }
    if (!partition_command(PartitionCommand::Kind::install, std::move(states), nullptr)) return false;
    applied_ = manifest.applied_sequence();
    generation_ = manifest.generation();
    chunks_ = manifest.chunks();
  } else if (s != NATS_NOT_FOUND) {
    node_.metrics_.errors->Increment();
    spdlog::error("event=partition_snapshot_bad partition={} error=\"{}\"", partition_, nats_error(s));
    return false;
  }
  // What the previous owner acknowledged after its snapshot is replayed with alerts
  // muted; what it was delivered but did not acknowledge comes again as a redelivery.
  // The partition's consumer is created afresh at the snapshot, so both arrive in
  // stream order, before anything newer.
  jsConsumerInfo* info_raw = nullptr;
  const std::string consumer = node_.layout_.consumer(partition_);
  jsErrCode code = static_cast<jsErrCode>(0);
  s = js_GetConsumerInfo(&info_raw, node_.link_.js.get(), node_.layout_.stream.c_str(), consumer.c_str(), nullptr, &code);
  JsConsumerInfo info(info_raw);
  replay_until_ = applied_;
  redelivered_until_ = applied_;
  if (s == NATS_OK) {
    replay_until_ = std::max(applied_, info->AckFloor.Stream);
    redelivered_until_ = std::max(replay_until_, info->Delivered.Stream);
    s = js_DeleteConsumer(node_.link_.js.get(), node_.layout_.stream.c_str(), consumer.c_str(), nullptr, &code);
  }
  if (s != NATS_OK && s != NATS_NOT_FOUND) {
    node_.metrics_.errors->Increment();
    spdlog::error("event=partition_consumer_failed partition={} consumer={} error=\"{}\"", partition_, consumer,
                  nats_error(s, code));
    return false;
  }
  const std::uint64_t restored = applied_;
  node_.metrics_.handoff_seconds[partition_]->Set(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  spdlog::info("event=partition_handed_off partition={} snapshot_sequence={} replay_to={} redelivery_to={} generation={}",
               partition_, restored, replay_until_, redelivered_until_, generation_);
  return true;
}

bool PartitionRunner::open_consumer() {
  const ClusterLayout& layout = node_.layout_;
  const std::string consumer = layout.consumer(partition_);
  const std::string subject = layout.subject(partition_);
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = consumer.c_str();
  config.AckPolicy = js_AckExplicit;
  // A dead owner's unacknowledged batch comes back after this: the lease's TTL.
  config.AckWait = node_.config_.lease_ttl_ms * 1'000'000;
  config.FilterSubject = subject.c_str();
  config.DeliverPolicy = applied_ == 0 ? js_DeliverAll : js_DeliverByStartSequence;
  config.OptStartSeq = applied_ == 0 ? 0 : applied_ + 1;
  config.MaxDeliver = -1;
  // One batch in flight: a batch that times out is redelivered before anything after
  // it, so each tenant's messages are applied in stream order.
  config.MaxAckPending = node_.config_.fetch_batch;
  jsConsumerInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const auto failed = [&](natsStatus s) {
    node_.metrics_.errors->Increment();
    spdlog::error("event=partition_consumer_failed partition={} consumer={} error=\"{}\"", partition_, consumer,
                  nats_error(s, code));
    return false;
  };
  natsStatus s = js_AddConsumer(&raw_info, node_.link_.js.get(), layout.stream.c_str(), &config, nullptr, &code);
  JsConsumerInfo info(raw_info);
  if (s != NATS_OK) return failed(s);
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = layout.stream.c_str();
  options.Consumer = consumer.c_str();
  natsSubscription* raw = nullptr;
  s = js_PullSubscribe(&raw, node_.link_.js.get(), subject.c_str(), consumer.c_str(), nullptr, &options, &code);
  subscription_.reset(raw);
  return s == NATS_OK || failed(s);
}

bool PartitionRunner::apply(natsMsgList& batch, std::uint64_t& pending) {
  const std::uint64_t replay_until = replay_until_;
  ClusterNode& node = node_;
  ClusterMetrics& metrics = node.metrics_;
  std::vector<Delivery> deliveries;
  std::vector<WorkItem> items;
  std::vector<std::size_t> item_of;  // delivery index -> item index, or npos
  for (int i = 0; i < batch.Count; ++i) {
    natsMsg* msg = batch.Msgs[i];
    jsMsgMetaData* raw_meta = nullptr;
    if (natsMsg_GetMetaData(&raw_meta, msg) != NATS_OK) {
      metrics.bad_messages->Increment();
      continue;  // not a JetStream message: nothing to acknowledge
    }
    JsMetaData meta(raw_meta);
    const std::uint64_t sequence = meta->Sequence.Stream;
    pending = meta->NumPending;
    deliveries.push_back(Delivery{msg, sequence, meta->NumDelivered});
    if (sequence <= applied_) {
      item_of.push_back(SIZE_MAX);  // applied already (a late redelivery): acknowledged again only
      continue;
    }
    state::v1::ClusterObservation observation;
    if (!observation.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)) || observation.tenant().empty() ||
        observation.values_size() == 0 || node.layout_.partition_of(observation.tenant()) != partition_) {
      metrics.bad_messages->Increment();
      item_of.push_back(SIZE_MAX);
      continue;
    }
    WorkItem item;
    item.tenant = observation.tenant();
    item.stream = observation.stream();
    item.timestamp_ns = observation.timestamp_ns();
    item.received_ns = observation.received_ns();
    item.received_steady_ns = steady_now_ns();
    item.values.assign(observation.values().begin(), observation.values().end());
    item.update = observation.update();
    item.ticket = std::make_shared<ClusterTicket>();
    item.ticket->sequence = sequence;
    item.ticket->replay = sequence <= replay_until;
    item.ticket->alert_id = node.layout_.alert_id(item.tenant, item.stream, sequence);
    item_of.push_back(items.size());
    items.push_back(std::move(item));
  }
  auto latch = std::make_shared<BatchLatch>(items.size());
  std::vector<std::string> tenants;
  tenants.reserve(items.size());
  std::size_t sent_count = 0;
  for (auto& item : items) {
    item.ticket->latch = latch;
    tenants.push_back(item.tenant);
    const std::size_t worker = node.admission_->worker_of(item.tenant);
    hotpath::SendStatus sent = hotpath::SendStatus::timed_out;
    while ((sent = node.admission_->send_to(worker, item, SEND_WAIT)) == hotpath::SendStatus::timed_out && !hard_stop()) {
    }
    if (sent != hotpath::SendStatus::sent) break;
    ++sent_count;
  }
  for (std::size_t i = sent_count; i < items.size(); ++i) latch->done(false, false);
  latch->wait();
  if (latch->failed()) return false;  // dropped at a stop's deadline: the next owner scores them
  if (latch->alerted() && !node.hub_->drain(SINK_WAIT)) {
    spdlog::error("event=partition_stalled partition={} error=\"alert sinks not drained in time\"", partition_);
    return false;
  }
  if (!lease_valid() || hard_stop()) return false;
  // Recorded before acknowledged: a message acknowledged is in the ledger.
  std::uint64_t redelivered = 0;
  std::uint64_t highest = applied_;
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    const Delivery& d = deliveries[i];
    if (item_of[i] != SIZE_MAX) {
      const bool replayed = d.sequence <= replay_until;
      const bool again = d.delivered > 1 || d.sequence <= redelivered_until_;
      if (node.ledger_) node.ledger_->scored(partition_, d.sequence, d.delivered, replayed, again, tenants[item_of[i]]);
      if (replayed || again) ++redelivered;
    }
    highest = std::max(highest, d.sequence);
  }
  if (node.ledger_) node.ledger_->flush();
  for (const Delivery& d : deliveries) {
    if (natsMsg_Ack(d.msg, nullptr) != NATS_OK) metrics.errors->Increment();
  }
  metrics.messages[partition_]->Increment(static_cast<double>(items.size()));
  if (redelivered > 0) metrics.redeliveries[partition_]->Increment(static_cast<double>(redelivered));
  since_snapshot_ += items.size();
  applied_ = highest;
  return true;
}

bool PartitionRunner::write_snapshot() {
  std::vector<TenantStateFile> states;
  if (!partition_command(PartitionCommand::Kind::snapshot, {}, &states)) return false;
  state::v1::PartitionSnapshot snapshot;
  for (auto& [tenant, bytes] : states) {
    snapshot.add_names(std::move(tenant));
    snapshot.add_tenants(std::move(bytes));
  }
  const std::string bytes = snapshot.SerializeAsString();
  const auto digest = sha256(bytes);
  const std::uint64_t generation = generation_ + 1;
  const auto chunks = static_cast<std::uint32_t>((bytes.size() + CHUNK_BYTES - 1) / CHUNK_BYTES);
  kvStore* state = node_.state_.get();
  for (std::uint32_t i = 0; i < chunks; ++i) {
    const std::string key = chunk_key(partition_, generation, i);
    const std::size_t offset = static_cast<std::size_t>(i) * CHUNK_BYTES;
    const std::size_t length = std::min(CHUNK_BYTES, bytes.size() - offset);
    if (kvStore_Put(nullptr, state, key.c_str(), bytes.data() + offset, static_cast<int>(length)) != NATS_OK) {
      node_.metrics_.errors->Increment();
      return false;
    }
  }
  state::v1::PartitionManifest manifest;
  manifest.set_partition(partition_);
  manifest.set_applied_sequence(applied_);
  manifest.set_generation(generation);
  manifest.set_chunks(chunks);
  manifest.set_bytes(bytes.size());
  manifest.set_sha256(std::string(reinterpret_cast<const char*>(digest.data()), digest.size()));
  manifest.set_owner(node_.layout_.instance);
  manifest.set_written_ns(wall_now_ns());
  const std::string manifest_bytes = manifest.SerializeAsString();
  const std::string manifest_key = ClusterLayout::lease_key(partition_);
  // The lease is checked last: a partition lost meanwhile must not overwrite its successor's manifest.
  if (!lease_valid() || kvStore_Put(nullptr, state, manifest_key.c_str(), manifest_bytes.data(),
                                    static_cast<int>(manifest_bytes.size())) != NATS_OK) {
    node_.metrics_.errors->Increment();
    return false;
  }
  for (std::uint32_t i = 0; i < chunks_ && generation_ > 0; ++i) {
    const std::string key = chunk_key(partition_, generation_, i);
    kvStore_Purge(state, key.c_str(), nullptr);
  }
  generation_ = generation;
  chunks_ = chunks;
  since_snapshot_ = 0;
  node_.metrics_.snapshot_bytes[partition_]->Set(static_cast<double>(bytes.size()));
  return true;
}

void PartitionRunner::run() {
  bool ok = hand_off() && open_consumer();
  const std::int64_t claimed = steady_now_ns();
  bool resumed = false;
  while (ok && !stop_.load(std::memory_order_acquire)) {
    MsgList batch;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus s = natsSubscription_Fetch(&batch.list, subscription_.get(),
                                                static_cast<int>(node_.config_.fetch_batch), FETCH_WAIT_MS, &code);
    if (s == NATS_TIMEOUT) {
      node_.metrics_.lag[partition_]->Set(0);
      continue;
    }
    if (s != NATS_OK) {
      node_.metrics_.errors->Increment();
      std::this_thread::sleep_for(std::chrono::milliseconds(FETCH_WAIT_MS));
      continue;
    }
    std::uint64_t pending = 0;
    ok = apply(batch.list, pending);
    if (ok && !resumed && redelivered_until_ > 0 && applied_ > redelivered_until_) {
      // Past what the previous owner had: the partition scores new messages again.
      resumed = true;
      node_.metrics_.resume_seconds[partition_]->Set(static_cast<double>(steady_now_ns() - claimed) * 1e-9);
    }
    node_.metrics_.lag[partition_]->Set(static_cast<double>(pending));
    if (ok && since_snapshot_ >= static_cast<std::uint64_t>(node_.config_.snapshot_every) && !write_snapshot()) {
      spdlog::warn("event=partition_snapshot_failed partition={} applied={}", partition_, applied_);
    }
  }
  // A graceful end hands the state over: the final snapshot, then the lease is released.
  if (ok && graceful_.load() && (since_snapshot_ == 0 || write_snapshot())) {
    handed_over_.store(true, std::memory_order_release);
  }
  if (!ok) spdlog::warn("event=partition_stopped partition={} applied={} graceful=false", partition_, applied_);
  subscription_.reset();
  partition_command(PartitionCommand::Kind::drop, {}, nullptr);
  finished_.store(true, std::memory_order_release);
}

}  // namespace anomstream::daemon
