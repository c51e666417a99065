#pragma once
// The path every observation takes from a transport to a worker queue:
//   validate (names, dimension, finite values within max_abs_value) -> tenant registry
//   (new tenants at a bounded rate, per-tenant rate) -> PrefixRateCap -> UpdateSampler
// (the cap first, so an observation it refuses takes no turn of the stride sampler)
//   -> shard = keyed hash(tenant) % workers -> bounded MPSC queue (full: counted drop)
// Every observation ends in exactly one of accepted, rate_capped, dropped or
// rejected{reason}; the counts go to Prometheus through a per-call MetricsBatcher.
// Thread-safe: called concurrently by gRPC handler threads and UDP threads.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "anomstream/core/siphash.hpp"
#include "anomstream/hotpath/metrics_batcher.hpp"
#include "anomstream/hotpath/prefix_rate_cap.hpp"
#include "anomstream/hotpath/update_channel.hpp"
#include "anomstream/hotpath/update_sampler.hpp"
#include "anomstream/v1/observation.pb.h"
#include "ingest/ingest_tally.hpp"
#include "ingest/tenant_registry.hpp"
#include "ingest/work_item.hpp"
#include "metrics/daemon_metrics.hpp"

namespace anomstream::daemon {

inline constexpr std::size_t MAX_NAME_BYTES = 128;

// Counter ids the ingest path batches (hotpath::MetricsBatcher).
enum class IngestCounter : std::uint8_t {
  received_grpc,
  received_udp,
  accepted,
  sampled_out,
  rate_capped,
  dropped_queue_full,
  rejected_first,  // + RejectReason
};

// Adds batched ingest counts to the Prometheus counters.
class PrometheusIngestSink final : public hotpath::MetricsSink {
 public:
  explicit PrometheusIngestSink(DaemonMetrics& metrics) : metrics_(metrics) {}
  void record(const hotpath::CounterArray& deltas) noexcept override;

 private:
  DaemonMetrics& metrics_;
};

// The dimension each stream established with its first observation, so later
// observations of another width are rejected at ingest with a clear reason. Streams are
// remembered by SipHash-2-4 of tenant, NUL, stream under `key`, which must be secret:
// clients name streams, and under a known key they could aim them all at one shard
// and one map bucket. Bounded: `capacity` streams are remembered, least-recently-used
// forgotten first (an idle stream's name is free again: a forgotten stream that returns
// with another width is started afresh at it by its worker).
class StreamDimensions {
 public:
  StreamDimensions(std::size_t capacity, SipKey key);
  // The stream's dimension: `dimension` if first seen (or forgotten), else the one it
  // established.
  std::uint32_t establish(const std::string& tenant, const std::string& stream, std::uint32_t dimension);

 private:
  static constexpr std::size_t SHARDS = 64;
  struct Shard {
    std::mutex mutex;
    std::list<std::pair<std::uint64_t, std::uint32_t>> order;  // most recent first
    std::unordered_map<std::uint64_t, std::list<std::pair<std::uint64_t, std::uint32_t>>::iterator> index;
  };
  std::size_t capacity_per_shard_;
  SipKey key_;
  std::unique_ptr<Shard[]> shards_;
};

// The secrets of ingest's two name hashes, drawn fresh at every start
// (Daemon::build_admission), never constants.
struct AdmissionKeys {
  SipKey shard;    // tenant -> worker
  SipKey streams;  // tenant and stream -> StreamDimensions
  SipKey tenants;  // tenant -> its entry in the TenantRegistry
};

// Scale-out: where admitted observations go instead of a local worker queue
// (cluster/cluster_publisher.hpp): each ingest call publishes through its own
// PublishCall. Thread-safe.
class ObservationPublisher {
 public:
  virtual ~ObservationPublisher() = default;
  virtual std::unique_ptr<PublishCall> begin() = 0;
};

// What decides, per accepted observation, whether it updates the model and whether its
// tenant bucket is over its rate; replaced as a whole on reload.
struct AdmissionPolicy {
  hotpath::UpdateSampler sampler;
  hotpath::PrefixRateCap rate_cap;
};

struct AdmissionLimits {
  std::size_t max_dimension = 1024;
  std::size_t fixed_dimension = 0;  // 0: learned per stream
  std::size_t max_streams = 65536;
  double max_abs_value = 1e15;      // larger magnitudes are rejected out_of_range
  TenantLimits tenants;
};

class Admission {
 public:
  Admission(const AdmissionLimits& limits, DaemonMetrics& metrics,
            std::vector<hotpath::Sender<WorkItem>> senders, AdmissionPolicy policy, const AdmissionKeys& keys);

  // One call's batcher: counts reach Prometheus every METRICS_BATCH_SIZE operations and
  // when the call ends (the batcher's destructor flushes).
  hotpath::MetricsBatcher batcher() { return hotpath::MetricsBatcher(sink_); }

  // Routes one decoded observation; `index` is its position in the call (for replies).
  void admit(const v1::Observation& observation, Transport transport, std::uint64_t index,
             IngestTally& tally, hotpath::MetricsBatcher& batcher);
  // Scale-out: waits for the acknowledgements of what the call published and counts
  // each observation accepted or rejected publish_failed. Every ingest call ends with
  // it (admit() also settles every PUBLISH_WINDOW observations of a long stream).
  void settle(IngestTally& tally, hotpath::MetricsBatcher& batcher);
  static constexpr std::size_t PUBLISH_WINDOW = 256;
  // Counts one observation rejected before decoding (garbage or oversized input).
  void reject_undecoded(Transport transport, RejectReason reason, std::string detail,
                        std::uint64_t index, IngestTally& tally, hotpath::MetricsBatcher& batcher);

  // Hands an analyst's request (a verdict, an explanation) to the worker that owns
  // `tenant` (its queue, behind the observations already sent). false when that queue is
  // full or closed: the caller answers UNAVAILABLE, nothing was changed.
  bool send_request(const std::string& tenant, WorkItem item);
  // Scale-out: hands `item` to worker `worker`, waiting up to `timeout` for room (the
  // partition consumers wait rather than drop). `item` is moved from only when sent.
  hotpath::SendStatus send_to(std::size_t worker, WorkItem& item, std::chrono::nanoseconds timeout);
  [[nodiscard]] std::size_t worker_count() const noexcept { return senders_.size(); }
  // From now on admitted observations are published (scale-out) rather than queued
  // here; set before any transport starts. nullptr: back to the local queues.
  void set_publisher(ObservationPublisher* publisher) noexcept { publisher_ = publisher; }
  // After this every observation is rejected with `shutting_down`.
  void shut_down();
  // Closes the worker queues (the workers drain what was sent, then stop). Safe while
  // transports still call admit(): a send to a closed queue is rejected as shutting_down.
  void close_queues();
  // Installs a new sampler and rate cap (reload). Thread-safe against admit(): calls
  // already running finish with the old policy, which is kept until the Admission is
  // destroyed (one small object per reload).
  void replace_policy(AdmissionPolicy policy);
  [[nodiscard]] std::size_t worker_of(std::string_view tenant) const;
  // Observations sent to worker `w` so far.
  [[nodiscard]] const std::atomic<std::uint64_t>& enqueued(std::size_t w) const { return enqueued_[w]; }

 private:
  void count_received(Transport transport, IngestTally& tally, hotpath::MetricsBatcher& batcher);
  void reject(RejectReason reason, std::string detail, std::uint64_t index, IngestTally& tally,
              hotpath::MetricsBatcher& batcher);

  AdmissionLimits limits_;
  DaemonMetrics& metrics_;
  PrometheusIngestSink sink_;
  std::vector<hotpath::Sender<WorkItem>> senders_;
  std::vector<std::unique_ptr<AdmissionPolicy>> policies_;  // every policy installed; the last is current
  std::atomic<AdmissionPolicy*> policy_{nullptr};
  std::mutex policy_mutex_;
  StreamDimensions dimensions_;
  TenantRegistry tenants_;
  SipKey shard_key_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> enqueued_;
  std::atomic<bool> shutting_down_{false};
  ObservationPublisher* publisher_ = nullptr;
};

}  // namespace anomstream::daemon
