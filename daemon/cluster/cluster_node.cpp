#include "cluster/cluster_node.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "cluster/partition_runner.hpp"
#include "common/clock.hpp"

namespace anomstream::daemon {
namespace {

// A lease is trusted for this share of its TTL after the renewal was sent, so an
// instance stops acknowledging before the server can hand the key to another.
constexpr double LEASE_TRUST = 5.0 / 6.0;
// Hand-off snapshot chunks stay this far below the server's largest message.
constexpr std::int32_t STATE_MAX_VALUE = 1 << 20;

std::string escape_json(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

ClusterMetrics::ClusterMetrics(prometheus::Registry& registry, std::uint32_t partitions) {
  auto& owned_family = prometheus::BuildGauge()
                           .Name("anomstream_cluster_partition_owned")
                           .Help("1 while this instance owns the partition's lease and scores it")
                           .Register(registry);
  auto& lag_family = prometheus::BuildGauge()
                         .Name("anomstream_cluster_partition_lag")
                         .Help("Messages of the partition waiting in its consumer after the last fetched one")
                         .Register(registry);
  auto& revision_family = prometheus::BuildGauge()
                              .Name("anomstream_cluster_lease_revision")
                              .Help("Revision of this instance's lease on the partition (grows at every renewal)")
                              .Register(registry);
  auto& messages_family = prometheus::BuildCounter()
                              .Name("anomstream_cluster_messages_total")
                              .Help("Partition messages applied to the models by this instance (replays included)")
                              .Register(registry);
  auto& redelivered_family =
      prometheus::BuildCounter()
          .Name("anomstream_cluster_redeliveries_total")
          .Help("Partition messages applied again: JetStream redeliveries and hand-off replays")
          .Register(registry);
  auto& handoff_family = prometheus::BuildGauge()
                             .Name("anomstream_cluster_handoff_seconds")
                             .Help("Duration of the partition's last hand-off on this instance: restore the "
                                   "snapshot, recreate the consumer")
                             .Register(registry);
  auto& resume_family = prometheus::BuildGauge()
                            .Name("anomstream_cluster_resume_seconds")
                            .Help("From this instance's last claim of a partition another instance scored before "
                                  "to its first message newer than that owner's (hand-off, replay and "
                                  "redeliveries included)")
                            .Register(registry);
  auto& snapshot_family = prometheus::BuildGauge()
                              .Name("anomstream_cluster_snapshot_bytes")
                              .Help("Size of the partition's newest hand-off snapshot written by this instance")
                              .Register(registry);
  for (std::uint32_t p = 0; p < partitions; ++p) {
    const prometheus::Labels labels{{"partition", std::to_string(p)}};
    owned.push_back(&owned_family.Add(labels));
    lag.push_back(&lag_family.Add(labels));
    revision.push_back(&revision_family.Add(labels));
    messages.push_back(&messages_family.Add(labels));
    redeliveries.push_back(&redelivered_family.Add(labels));
    handoff_seconds.push_back(&handoff_family.Add(labels));
    resume_seconds.push_back(&resume_family.Add(labels));
    snapshot_bytes.push_back(&snapshot_family.Add(labels));
  }
  members = &prometheus::BuildGauge()
                 .Name("anomstream_cluster_members")
                 .Help("Live instances of the scoring group, as this instance last counted them")
                 .Register(registry)
                 .Add({});
  errors = &prometheus::BuildCounter()
                .Name("anomstream_cluster_errors_total")
                .Help("Failed JetStream calls: fetches, acknowledgements, lease renewals, snapshots")
                .Register(registry)
                .Add({});
  bad_messages = &prometheus::BuildCounter()
                      .Name("anomstream_cluster_bad_messages_total")
                      .Help("Partition messages that did not parse as observations (acknowledged and skipped)")
                      .Register(registry)
                      .Add({});
}

std::expected<std::unique_ptr<ClusterLedger>, std::string> ClusterLedger::open(const std::string& path,
                                                                             std::string instance) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) return std::unexpected("ingest.jetstream.ledger: cannot open " + path + ": " + std::strerror(errno));
  return std::unique_ptr<ClusterLedger>(new ClusterLedger(file, std::move(instance)));
}

ClusterLedger::~ClusterLedger() { std::fclose(file_); }

void ClusterLedger::scored(std::uint32_t partition, std::uint64_t sequence, std::uint64_t delivered, bool replay,
                           bool redelivered, const std::string& tenant) {
  std::lock_guard lock(mutex_);
  std::fprintf(file_,
               "{\"kind\":\"scored\",\"instance\":\"%s\",\"partition\":%u,\"seq\":%llu,\"delivered\":%llu,"
               "\"replay\":%s,\"redelivered\":%s,\"tenant\":\"%s\",\"ns\":%lld}\n",
               instance_.c_str(), partition, static_cast<unsigned long long>(sequence),
               static_cast<unsigned long long>(delivered), replay ? "true" : "false", redelivered ? "true" : "false",
               escape_json(tenant).c_str(), static_cast<long long>(wall_now_ns()));
}

void ClusterLedger::lease(std::uint32_t partition, const char* action, std::uint64_t revision) {
  std::lock_guard lock(mutex_);
  std::fprintf(file_,
               "{\"kind\":\"lease\",\"instance\":\"%s\",\"partition\":%u,\"action\":\"%s\",\"revision\":%llu,"
               "\"ns\":%lld}\n",
               instance_.c_str(), partition, action, static_cast<unsigned long long>(revision),
               static_cast<long long>(wall_now_ns()));
  std::fflush(file_);
}

void ClusterLedger::flush() {
  std::lock_guard lock(mutex_);
  std::fflush(file_);
}

ClusterNode::ClusterNode(const DaemonConfig::JetStream& config, JetStreamLink link, ClusterLayout layout,
                         prometheus::Registry& registry)
    : config_(config), link_(std::move(link)), layout_(std::move(layout)), metrics_(registry, layout_.partitions) {
  publisher_ = std::make_unique<ClusterPublisher>(link_.connection.get(), layout_, config_.publish_timeout_ms);
}

std::expected<std::unique_ptr<ClusterNode>, std::string> ClusterNode::connect(const DaemonConfig::JetStream& config,
                                                                             const SecretKeyDrawer& draw_key,
                                                                             prometheus::Registry& registry) {
  auto link = connect_jetstream(config);
  if (!link) return std::unexpected(link.error());
  auto layout = prepare_cluster(*link, config, draw_key);
  if (!layout) return std::unexpected(layout.error());
  auto node = std::unique_ptr<ClusterNode>(new ClusterNode(config, std::move(*link), std::move(*layout), registry));
  if (!config.score) return node;
  if (!config.ledger.empty()) {
    auto ledger = ClusterLedger::open(config.ledger, node->layout_.instance);
    if (!ledger) return std::unexpected(ledger.error());
    node->ledger_ = std::move(*ledger);
  }
  for (auto [bucket, ttl, max_value, target] :
       {std::tuple{node->layout_.lease_bucket(), config.lease_ttl_ms, 1024, &node->leases_},
        std::tuple{node->layout_.member_bucket(), config.lease_ttl_ms, 1024, &node->members_},
        std::tuple{node->layout_.state_bucket(), std::int64_t{0}, STATE_MAX_VALUE, &node->state_}}) {
    auto kv = open_bucket(node->link_.js.get(), bucket, ttl, max_value);
    if (!kv) return std::unexpected("ingest.jetstream: " + kv.error());
    *target = std::move(*kv);
  }
  return node;
}

ClusterNode::~ClusterNode() { stop(); }

std::expected<void, std::string> ClusterNode::start(Admission& admission, AlertHub& hub) {
  admission_ = &admission;
  hub_ = &hub;
  if (!config_.score) return {};
  lease_thread_ = std::thread([this] { run_leases(); });
  return {};
}

void ClusterNode::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (lease_thread_.joinable()) lease_thread_.join();
}

std::uint32_t ClusterNode::live_members() {
  kvKeysList keys{};
  const natsStatus s = kvStore_Keys(&keys, members_.get(), nullptr);
  std::uint32_t count = 1;
  if (s == NATS_OK) count = std::max(1, keys.Count);
  else if (s != NATS_NOT_FOUND) metrics_.errors->Increment();
  if (s == NATS_OK) kvKeysList_Destroy(&keys);
  metrics_.members->Set(count);
  return count;
}

// Joins the runners that ended; those that handed their state over give their lease back
// now, the others' leases expire on their own.
void ClusterNode::reap(bool wait_all) {
  for (auto it = runners_.begin(); it != runners_.end();) {
    PartitionRunner& runner = *it->second;
    if (!runner.finished() && !wait_all) {
      ++it;
      continue;
    }
    runner.join();
    const std::uint32_t p = runner.partition();
    if (runner.handed_over()) {
      const std::string key = ClusterLayout::lease_key(p);
      if (kvStore_Delete(leases_.get(), key.c_str()) != NATS_OK) metrics_.errors->Increment();
      if (ledger_) ledger_->lease(p, "release", runner.revision());
      spdlog::info("event=partition_released partition={} revision={}", p, runner.revision());
    }
    metrics_.owned[p]->Set(0);
    it = runners_.erase(it);
  }
}

// Renews every lease still held; one that cannot be renewed stops its partition at once.
// Partitions finishing a graceful stop keep theirs until they are released.
void ClusterNode::renew_all() {
  const std::int64_t ttl_ns = config_.lease_ttl_ms * 1'000'000;
  for (auto& [p, runner] : runners_) {
    if (runner->finished() || runner->lost()) continue;
    const std::int64_t sent = steady_now_ns();
    std::uint64_t revision = 0;
    const std::string key = ClusterLayout::lease_key(p);
    const natsStatus s =
        kvStore_UpdateString(&revision, leases_.get(), key.c_str(), layout_.instance.c_str(), runner->revision());
    if (s == NATS_OK) {
      runner->renewed(revision, sent + static_cast<std::int64_t>(LEASE_TRUST * static_cast<double>(ttl_ns)));
      metrics_.revision[p]->Set(static_cast<double>(revision));
      if (ledger_) ledger_->lease(p, "renew", revision);
    } else {
      metrics_.errors->Increment();
      runner->stop(false);
      if (ledger_) ledger_->lease(p, "lost", runner->revision());
      spdlog::warn("event=partition_lease_lost partition={} revision={} error=\"{}\"", p, runner->revision(),
                   nats_error(s));
    }
  }
}

void ClusterNode::lease_round() {
  const std::int64_t ttl_ns = config_.lease_ttl_ms * 1'000'000;
  if (kvStore_PutString(nullptr, members_.get(), layout_.instance.c_str(), "alive") != NATS_OK) {
    metrics_.errors->Increment();
  }
  const std::uint32_t members = live_members();
  const std::uint32_t share = (layout_.partitions + members - 1) / members;
  renew_all();
  reap(false);

  std::size_t active = 0;
  for (const auto& [p, runner] : runners_) active += runner->stopping() ? 0 : 1;
  // Above the share: release the highest partitions, each after its final snapshot.
  for (auto it = runners_.rbegin(); it != runners_.rend() && active > share; ++it) {
    if (it->second->stopping()) continue;
    it->second->stop(true);
    --active;
  }
  // Below it: claim free partitions.
  const std::uint32_t start = static_cast<std::uint32_t>(siphash24(layout_.key, layout_.instance) % layout_.partitions);
  for (std::uint32_t i = 0; i < layout_.partitions && active < share; ++i) {
    const std::uint32_t p = (start + i) % layout_.partitions;
    if (runners_.contains(p)) continue;
    const std::string key = ClusterLayout::lease_key(p);
    const std::int64_t sent = steady_now_ns();
    std::uint64_t revision = 0;
    if (kvStore_CreateString(&revision, leases_.get(), key.c_str(), layout_.instance.c_str()) != NATS_OK) continue;
    if (ledger_) ledger_->lease(p, "claim", revision);
    metrics_.owned[p]->Set(1);
    metrics_.revision[p]->Set(static_cast<double>(revision));
    spdlog::info("event=partition_claimed partition={} revision={} members={} share={}", p, revision, members, share);
    auto runner = std::make_unique<PartitionRunner>(
        *this, p, revision, sent + static_cast<std::int64_t>(LEASE_TRUST * static_cast<double>(ttl_ns)));
    runner->start();
    runners_.emplace(p, std::move(runner));
    ++active;
  }
}

void ClusterNode::run_leases() {
  const auto period = std::chrono::milliseconds(std::max<std::int64_t>(config_.lease_ttl_ms / 3, 100));
  while (true) {
    lease_round();
    std::unique_lock lock(stop_mutex_);
    if (stop_cv_.wait_for(lock, period, [&] { return stopping_; })) break;
  }
  // Stop: every partition finishes its batch and snapshots; leases renewed meanwhile.
  for (auto& [p, runner] : runners_) runner->stop(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto next_renewal = std::chrono::steady_clock::now() + period;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (const auto& [p, runner] : runners_) all = all && runner->finished();
    if (all) break;
    if (std::chrono::steady_clock::now() >= next_renewal) {
      renew_all();
      next_renewal += period;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reap(true);
  const std::string me = layout_.instance;
  if (kvStore_Delete(members_.get(), me.c_str()) != NATS_OK) metrics_.errors->Increment();
  if (ledger_) ledger_->flush();
}

}  // namespace anomstream::daemon
