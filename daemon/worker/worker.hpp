#pragma once
// A scoring worker: one thread that owns the detector state of every tenant sharded to
// it (no locks on detector state), drains its bounded queue, runs each observation
// through its stream's pipeline and publishes alerts. Tenant states beyond the
// configured bounds (count and bytes, a TenantForestPool per worker) are evicted
// least-recently-used first (counted).
// With a state store, a tenant's state is restored from its file the first time the
// worker sees the tenant, written when the pool evicts it, written every
// snapshot_interval (each tenant at its own phase within the interval, so snapshots
// spread out instead of stalling every worker at once; only tenants that changed), and
// written for every changed tenant when the worker stops. Encoding runs here; the file
// I/O runs on the store's writer thread.
// A tenant is bounded too: at most max_streams_per_tenant streams and
// max_bytes_per_tenant bytes in memory; beyond either, its own least recently used
// streams are evicted (saved on their own first, and restored when they come back), so a
// tenant with many streams costs the others nothing.
// Stop: once the queue is closed the worker drains what is left, until the drain
// deadline; what is still queued then is counted as dropped (reason shutdown), and the
// final snapshot is written either way.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "anomstream/forest/tenant_forest_pool.hpp"
#include "anomstream/hotpath/update_channel.hpp"
#include "ingest/work_item.hpp"
#include "metrics/daemon_metrics.hpp"
#include "persist/state_store.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "sink/alert_hub.hpp"
#include "worker/log_limiter.hpp"

namespace anomstream::daemon {

// Lines per kind of hot-path event (refused tenant, pipeline error, regime change) that
// one worker writes per period; the rest are counted onto the next line written.
inline constexpr std::uint32_t HOT_LOG_BURST = 10;
inline constexpr std::chrono::seconds HOT_LOG_PERIOD{10};

// The pipeline settings every worker applies, replaced as a whole on reload; workers
// notice a new generation between observations and retune their pipelines.
class LiveSettings {
 public:
  explicit LiveSettings(PipelineSettings settings) : settings_(std::move(settings)) {}
  void replace(const PipelineSettings& settings);
  [[nodiscard]] std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  [[nodiscard]] PipelineSettings get() const;

 private:
  mutable std::mutex mutex_;
  PipelineSettings settings_;
  std::atomic<std::uint64_t> generation_{0};
};

// What every worker shares.
struct WorkerContext {
  LiveSettings* settings = nullptr;
  forest::TenantForestPoolConfig pool;
  std::size_t max_streams_per_tenant = 1024;
  std::size_t max_bytes_per_tenant = std::size_t{1} << 28;
  StateStore* store = nullptr;      // nullptr: state is not persisted
  Fingerprint fingerprint{};        // of the model-defining settings
  std::chrono::nanoseconds snapshot_interval{0};  // 0: no periodic snapshots
  TriageSettings triage;     // each tenant's triage desk (triage/triage_desk.hpp)
  SipKey stream_index_key{};  // secret (draw_secret_key): each tenant's stream map hashes names under it
};

class Worker {
 public:
  // `enqueued` counts what ingest sent to this worker (for the queue-depth gauge); it
  // must outlive the worker's thread.
  Worker(std::size_t index, hotpath::Receiver<WorkItem> queue, const std::atomic<std::uint64_t>& enqueued,
         const WorkerContext& context, AlertHub& hub, DaemonMetrics& metrics);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // After this, observations still queued at `steady_deadline_ns` are dropped (counted).
  void set_drain_deadline(std::int64_t steady_deadline_ns) noexcept {
    drain_deadline_ns_.store(steady_deadline_ns, std::memory_order_relaxed);
  }
  // Returns once the queue is closed and drained and the final snapshot is queued.
  void join();

  [[nodiscard]] std::uint64_t scored() const noexcept { return scored_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t tenants() const noexcept { return tenant_count_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t queue_capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint64_t queue_depth() const noexcept;
  [[nodiscard]] std::uint64_t received() const noexcept { return dequeued_.load(std::memory_order_relaxed); }
  // Steady-clock time of the worker loop's last turn (it turns at least every 50 ms
  // while it is healthy, busy or idle): what the watchdog checks.
  [[nodiscard]] std::int64_t heartbeat_ns() const noexcept { return heartbeat_ns_.load(std::memory_order_relaxed); }

 private:
  // One stream's pipeline with what the tenant's bounds need: when it was last used
  // (the tenant's own LRU) and its bytes, re-measured every MEASURE_EVERY uses.
  struct StreamSlot {
    std::unique_ptr<StreamPipeline> pipeline;
    std::uint64_t last_used = 0;
    std::size_t bytes = 0;
    std::uint32_t uses_since_measure = 0;
  };
  // One tenant's pipelines, one per stream; what the pool bounds and evicts. Its bytes
  // are kept as a running sum so the pool's per-call measurement is O(1), not a walk
  // over every stream and tree.
  struct TenantState {
    explicit TenantState(SipKey stream_index_key) : streams(0, KeyedStringHash{stream_index_key}) {}
    std::unordered_map<std::string, StreamSlot, KeyedStringHash, std::equal_to<>> streams;
    std::uint64_t clock = 0;           // uses of the tenant, the streams' LRU clock
    std::size_t bytes = 0;             // sum of the streams' bytes and names
    std::uint64_t position = 0;        // observations applied, over all streams
    std::uint64_t saved_position = 0;  // position of the newest snapshot handed to the store
    std::int64_t next_snapshot_ns = 0;
    std::unique_ptr<TriageDesk> desk;  // created at the tenant's first alert
    bool desk_dirty = false;           // the desk changed since the newest snapshot
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
      return sizeof(TenantState) + bytes + (desk ? desk->memory_bytes() : 0);
    }
    [[nodiscard]] bool dirty() const noexcept { return position != saved_position || desk_dirty; }
    void add(const std::string& name, std::unique_ptr<StreamPipeline> pipeline);
  };
  using TenantPool = forest::TenantForestPool<std::unique_ptr<TenantState>>;
  struct Due {
    std::int64_t at_ns;
    std::string tenant;
    friend bool operator>(const Due& a, const Due& b) { return a.at_ns > b.at_ns; }
  };

  void run();
  struct Processed {
    bool applied = false;  // the observation reached its model
    bool alerted = false;  // and raised an alert (published, suppressed or muted)
  };
  Processed process(WorkItem& item);
  // Names, clusters and calibrates an alert, then publishes it (or audits it suppressed).
  // A scale-out message names its alert by its ticket, and a replayed one is muted:
  // remembered by the tenant's desk, not published.
  void raise(const std::string& tenant, TenantState& state, v1::Alert alert, const ClusterTicket* ticket,
             std::uint64_t position);
  void apply_command(PartitionCommand& command);
  // A tenant's state from the body of its state file; nullptr (and `error`) when a part
  // does not restore.
  std::unique_ptr<TenantState> state_from_body(const state::v1::TenantState& body, std::string& error);
  state::v1::TenantState body_of(const std::string& tenant, const TenantState& state) const;
  void apply_feedback(const std::string& tenant, FeedbackRequest& request);
  void apply_explain(const std::string& tenant, ExplainRequest& request);
  // The tenant an analyst's request names, restored from its state file when evicted;
  // nullptr when it has never been seen (or cannot be held: `error` says why).
  TenantState* tenant_for_request(const std::string& tenant, std::string& error);
  std::pair<TenantState*, StreamPipeline*> pipeline_for(const WorkItem& item);
  std::unique_ptr<TenantState> restore_tenant(const std::string& tenant);
  // A stream this worker evicted from its tenant earlier and saved on its own, if any.
  std::unique_ptr<StreamPipeline> restore_stream(const std::string& tenant, const std::string& stream,
                                                 std::size_t dimension);
  // Evicts the tenant's least recently used streams (not `keep`) while it is over its
  // stream count or bytes, each saved on its own first when state is persisted.
  void enforce_tenant_bounds(const std::string& tenant, TenantState& state, const std::string& keep);
  void schedule(const std::string& tenant, TenantState& state, std::int64_t now_ns);
  // Encodes and hands a tenant's state to the store; false when the store's queue is full.
  bool save(const std::string& tenant, TenantState& state, bool wait);
  void snapshot_due(std::int64_t now_ns);
  void snapshot_all();
  void retune_all();
  void publish_gauges();

  std::size_t index_;
  hotpath::Receiver<WorkItem> queue_;
  std::size_t capacity_;
  WorkerContext context_;
  PipelineSettings settings_;
  std::uint64_t settings_generation_ = 0;
  AlertHub& hub_;
  DaemonMetrics& metrics_;
  std::optional<TenantPool> tenants_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  WorkerMetricsBatch batch_;
  std::atomic<std::uint64_t> scored_{0};
  std::atomic<std::uint64_t> dequeued_{0};
  const std::atomic<std::uint64_t>& enqueued_;
  std::atomic<std::size_t> tenant_count_{0};
  std::atomic<std::int64_t> drain_deadline_ns_{INT64_MAX};
  std::atomic<std::int64_t> heartbeat_ns_{0};
  double cpu_published_ = 0.0;      // thread CPU seconds already added to the metric
  std::int64_t pass_started_ns_ = 0;
  double pass_seconds_ = 0.0;       // time spent encoding snapshots in the current pass
  LogLimiter refused_log_{HOT_LOG_BURST, HOT_LOG_PERIOD};
  LogLimiter pipeline_error_log_{HOT_LOG_BURST, HOT_LOG_PERIOD};
  LogLimiter regime_log_{HOT_LOG_BURST, HOT_LOG_PERIOD};
  LogLimiter restore_log_{HOT_LOG_BURST, HOT_LOG_PERIOD};
  std::thread thread_;
};

}  // namespace anomstream::daemon
