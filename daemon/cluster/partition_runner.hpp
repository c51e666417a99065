#pragma once
// One owned partition's thread (see cluster_node.hpp for the protocol): hand-off
// (drop stale tenants, restore the newest snapshot, recreate the partition's consumer
// at it: the messages the previous owner acknowledged come again with alerts muted,
// those it was delivered but did not acknowledge as redeliveries), then fetch, apply, acknowledge in order, snapshot.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_work.hpp"
#include "cluster/nats_handles.hpp"

namespace anomstream::daemon {

class ClusterNode;

class PartitionRunner {
 public:
  PartitionRunner(ClusterNode& node, std::uint32_t partition, std::uint64_t revision, std::int64_t valid_until_ns);
  ~PartitionRunner();
  PartitionRunner(const PartitionRunner&) = delete;
  PartitionRunner& operator=(const PartitionRunner&) = delete;

  void start();
  // graceful: finish the batch, snapshot, then end; otherwise (the lease is lost) end
  // at once without acknowledging anything more.
  void stop(bool graceful);
  [[nodiscard]] bool finished() const { return finished_.load(std::memory_order_acquire); }
  [[nodiscard]] bool stopping() const { return stop_.load(std::memory_order_acquire); }
  [[nodiscard]] bool lost() const { return stop_.load(std::memory_order_acquire) && !graceful_.load(); }
  void join();
  // The lease thread's renewals.
  void renewed(std::uint64_t revision, std::int64_t valid_until_ns) {
    revision_.store(revision, std::memory_order_release);
    valid_until_ns_.store(valid_until_ns, std::memory_order_release);
  }
  [[nodiscard]] std::uint64_t revision() const { return revision_.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint32_t partition() const { return partition_; }
  // Whether it ended with its state handed over (final snapshot written): only then may
  // the lease be released early rather than left to expire.
  [[nodiscard]] bool handed_over() const { return handed_over_.load(std::memory_order_acquire); }

 private:
  struct Delivery {
    natsMsg* msg;
    std::uint64_t sequence;
    std::uint64_t delivered;
  };
  void run();
  bool hand_off();
  bool open_consumer();
  // Applies `batch` and acknowledges it; false when the partition must stop.
  bool apply(natsMsgList& batch, std::uint64_t& pending);
  bool write_snapshot();
  bool partition_command(PartitionCommand::Kind kind, std::vector<TenantStateFile> states,
                         std::vector<TenantStateFile>* out);
  [[nodiscard]] bool lease_valid() const;
  [[nodiscard]] bool hard_stop() const { return stop_.load() && !graceful_.load(); }

  ClusterNode& node_;
  const std::uint32_t partition_;
  std::atomic<std::uint64_t> revision_;
  std::atomic<std::int64_t> valid_until_ns_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> graceful_{true};
  std::atomic<bool> finished_{false};
  std::atomic<bool> handed_over_{false};
  NatsSubscription subscription_;
  std::uint64_t applied_ = 0;         // every message of the partition up to here is applied
  std::uint64_t replay_until_ = 0;       // up to here the previous owner acknowledged: alerts muted
  std::uint64_t redelivered_until_ = 0;  // up to here it was delivered: a redelivery
  std::uint64_t since_snapshot_ = 0;  // applied since the newest snapshot
  std::uint64_t generation_ = 0;      // of the newest snapshot
  std::uint32_t chunks_ = 0;          // its chunk count
  std::thread thread_;
};

}  // namespace anomstream::daemon
