#pragma once
// A scale-out instance (docs/scale-out.md). It publishes what its transports admit
// (ClusterPublisher) and, with `score`, owns partitions and scores them:
//   - Leases. One thread heartbeats this instance into <group>-members, counts the live
//     instances N, renews each owned partition's lease in <group>-leases by
//     compare-and-set on its revision every third of the TTL, and claims free ones
//     (create, which fails while another instance holds the key) up to ceil(P / N),
//     lowest first from an instance-dependent start; above that share it releases
//     partitions (after their final snapshot), so partitions rebalance as instances join
//     and leave. A lease that cannot be renewed stops its partition at once: no more
//     fetches, no more acknowledgements.
//   - Partitions. A PartitionRunner thread per owned partition restores the partition's
//     tenants from its newest snapshot and recreates the partition's durable consumer
//     at the snapshot: the messages the previous owner acknowledged after it are
//     replayed with alerts muted, those it was delivered and did not acknowledge are
//     redelivered (alerts raised again, under the same ids). It then fetches,
//     hands each message to the worker that owns its tenant and acknowledges a batch, in
//     order, only once every message of it is applied, its alerts are written to the
//     sinks and the lease is still valid. Every snapshot_every messages (and before a
//     release) it writes a snapshot of the partition's tenants to <group>-state.
// Guarantees: every acknowledged message was applied by an owner whose snapshot or
// successor covers it (at-least-once scoring); an alert's id is a keyed function of its
// message's stream sequence, so a redelivered message raises the same id again
// (exactly-once alerts by id).

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_publisher.hpp"
#include "cluster/jetstream.hpp"
#include "config/daemon_config.hpp"
#include "ingest/admission.hpp"
#include "sink/alert_hub.hpp"

namespace anomstream::daemon {

// The scale-out metrics, one series per partition where it says so.
struct ClusterMetrics {
  explicit ClusterMetrics(prometheus::Registry& registry, std::uint32_t partitions);
  std::vector<prometheus::Gauge*> owned;         // 1 while this instance owns the partition
  std::vector<prometheus::Gauge*> lag;           // messages in the partition's consumer not yet delivered
  std::vector<prometheus::Gauge*> revision;      // the lease's revision
  std::vector<prometheus::Counter*> messages;    // messages applied (replays included)
  std::vector<prometheus::Counter*> redeliveries;  // messages delivered more than once, or replayed
  std::vector<prometheus::Gauge*> handoff_seconds;  // the last hand-off: drop, restore, new consumer
  std::vector<prometheus::Gauge*> resume_seconds;   // from the last claim to the first new message applied
  std::vector<prometheus::Gauge*> snapshot_bytes;   // the newest snapshot's size
  prometheus::Gauge* members = nullptr;
  prometheus::Counter* errors = nullptr;         // NATS calls that failed (fetch, ack, lease, snapshot)
  prometheus::Counter* bad_messages = nullptr;   // messages that do not parse (acknowledged, skipped)
};

// JSON lines of what this instance scored and every lease change (ingest.jetstream.ledger).
class ClusterLedger {
 public:
  static std::expected<std::unique_ptr<ClusterLedger>, std::string> open(const std::string& path, std::string instance);
  ~ClusterLedger();
  void scored(std::uint32_t partition, std::uint64_t sequence, std::uint64_t delivered, bool replay,
              bool redelivered, const std::string& tenant);
  void lease(std::uint32_t partition, const char* action, std::uint64_t revision);
  // Written through to the kernel, so a kill -9 loses nothing acknowledged after it.
  void flush();

 private:
  ClusterLedger(std::FILE* file, std::string instance) : file_(file), instance_(std::move(instance)) {}
  std::mutex mutex_;
  std::FILE* file_;
  std::string instance_;
};

class PartitionRunner;

class ClusterNode {
 public:
  // Connects and prepares the shared objects; the error names the key at fault.
  static std::expected<std::unique_ptr<ClusterNode>, std::string> connect(const DaemonConfig::JetStream& config,
                                                                         const SecretKeyDrawer& draw_key,
                                                                         prometheus::Registry& registry);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  [[nodiscard]] ObservationPublisher& publisher() { return *publisher_; }
  [[nodiscard]] const ClusterLayout& layout() const { return layout_; }
  // Starts owning and scoring partitions (when `score`); the workers must be running.
  std::expected<void, std::string> start(Admission& admission, AlertHub& hub);
  // Stops scoring: each partition finishes its batch, writes its snapshot and is released.
  void stop();

 private:
  friend class PartitionRunner;
  ClusterNode(const DaemonConfig::JetStream& config, JetStreamLink link, ClusterLayout layout,
              prometheus::Registry& registry);
  void run_leases();
  void lease_round();
  void renew_all();
  std::uint32_t live_members();
  void reap(bool wait_all);

  DaemonConfig::JetStream config_;
  JetStreamLink link_;
  ClusterLayout layout_;
  std::unique_ptr<ClusterPublisher> publisher_;
  ClusterMetrics metrics_;
  std::unique_ptr<ClusterLedger> ledger_;
  KvStore leases_;
  KvStore members_;
  KvStore state_;
  Admission* admission_ = nullptr;
  AlertHub* hub_ = nullptr;
  std::map<std::uint32_t, std::unique_ptr<PartitionRunner>> runners_;  // lease thread only
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread lease_thread_;
};

}  // namespace anomstream::daemon
