#pragma once
// A scoring worker: one thread that owns the detector state of every tenant sharded to
// it (no locks on detector state), drains its bounded queue, runs each observation
// through its stream's pipeline and publishes alerts. Tenant states beyond the
// configured bounds (count and bytes, a TenantForestPool per worker) are evicted
// least-recently-used first (counted). When the queue is
// closed the worker drains what is left and exits.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <optional>
#include <unordered_map>

#include "anomstream/forest/tenant_forest_pool.hpp"
#include "anomstream/hotpath/update_channel.hpp"
#include "ingest/work_item.hpp"
#include "metrics/daemon_metrics.hpp"
#include "worker/log_limiter.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "sink/alert_hub.hpp"

namespace anomstream::daemon {

// Lines per kind of hot-path event (refused tenant, pipeline error, regime change) that
// one worker writes per period; the rest are counted onto the next line written.
inline constexpr std::uint32_t HOT_LOG_BURST = 10;
inline constexpr std::chrono::seconds HOT_LOG_PERIOD{10};

class Worker {
 public:
  // `enqueued` counts what ingest sent to this worker (for the queue-depth gauge).
  Worker(std::size_t index, hotpath::Receiver<WorkItem> queue, const std::atomic<std::uint64_t>& enqueued,
         const PipelineSettings& settings, const forest::TenantForestPoolConfig& pool, AlertHub& hub,
         DaemonMetrics& metrics);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Returns once the queue is closed and drained.
  void join();

  [[nodiscard]] std::uint64_t scored() const noexcept { return scored_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t tenants() const noexcept { return tenant_count_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t queue_capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint64_t queue_depth() const noexcept;
  [[nodiscard]] std::uint64_t received() const noexcept { return dequeued_.load(std::memory_order_relaxed); }

 private:
  // One tenant's pipelines, one per stream; what the pool bounds and evicts.
  struct TenantState {
    std::unordered_map<std::string, std::unique_ptr<StreamPipeline>> streams;
    [[nodiscard]] std::size_t memory_bytes() const noexcept;
  };
  using TenantPool = forest::TenantForestPool<std::unique_ptr<TenantState>>;
  void run();
  void process(WorkItem& item);
  StreamPipeline* pipeline_for(const WorkItem& item);
  void publish_gauges();

  std::size_t index_;
  hotpath::Receiver<WorkItem> queue_;
  std::size_t capacity_;
  PipelineSettings settings_;
  AlertHub& hub_;
  DaemonMetrics& metrics_;
  std::optional<TenantPool> tenants_;
  WorkerMetricsBatch batch_;
  std::atomic<std::uint64_t> scored_{0};
  std::atomic<std::uint64_t> dequeued_{0};
  const std::atomic<std::uint64_t>& enqueued_;
  std::atomic<std::size_t> tenant_count_{0};
  double cpu_published_ = 0.0;  // thread CPU seconds already added to the metric
  LogLimiter refused_log_{HOT_LOG_BURST, HOT_LOG_PERIOD};
  LogLimiter pipeline_error_log_{HOT_LOG_BURST, HOT_LOG_PERIOD};
  LogLimiter regime_log_{HOT_LOG_BURST, HOT_LOG_PERIOD};
  std::thread thread_;
};

}  // namespace anomstream::daemon
