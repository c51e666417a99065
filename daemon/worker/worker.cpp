#include "worker/worker.hpp"

#include <spdlog/spdlog.h>

#include <time.h>

#include <chrono>

namespace anomstream::daemon {
namespace {
std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}
// CPU time of the calling thread.
double thread_cpu_seconds() {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0.0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

std::size_t Worker::TenantState::memory_bytes() const noexcept {
  std::size_t bytes = sizeof(TenantState);
  for (const auto& [name, pipeline] : streams) bytes += name.capacity() + pipeline->memory_bytes();
  return bytes;
}

Worker::Worker(std::size_t index, hotpath::Receiver<WorkItem> queue, const std::atomic<std::uint64_t>& enqueued,
               const PipelineSettings& settings, const forest::TenantForestPoolConfig& pool, AlertHub& hub,
               DaemonMetrics& metrics)
    : index_(index),
      queue_(std::move(queue)),
      capacity_(queue_.capacity()),
      settings_(settings),
      hub_(hub),
      metrics_(metrics),
      batch_(metrics),
      enqueued_(enqueued) {
  auto created = TenantPool::create(
      pool,
      [](std::string_view, std::size_t) -> Result<std::unique_ptr<TenantState>> {
        return std::make_unique<TenantState>();
      },
      [this](std::string_view tenant, const std::unique_ptr<TenantState>&) {
        spdlog::debug("event=tenant_evicted worker={} tenant={}", index_, tenant);
        metrics_.pool_evictions().Increment();
        metrics_.live_tenants().Decrement();
      });
  if (!created) throw std::invalid_argument("tenants: " + created.error().message());
  tenants_.emplace(std::move(*created));
}

Worker::~Worker() { join(); }

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Worker::queue_depth() const noexcept {
  const auto in = enqueued_.load(std::memory_order_relaxed);
  const auto out = dequeued_.load(std::memory_order_relaxed);
  return in > out ? in - out : 0;
}

void Worker::publish_gauges() {
  metrics_.queue_depth(index_).Set(static_cast<double>(queue_depth()));
  const double cpu = thread_cpu_seconds();
  if (cpu > cpu_published_) {
    metrics_.worker_cpu_seconds(index_).Increment(cpu - cpu_published_);
    cpu_published_ = cpu;
  }
}

void Worker::run() {
  std::uint64_t since_gauge = 0;
  while (true) {
    auto item = queue_.recv_for(std::chrono::milliseconds(50));
    if (!item) {
      if (item.error() == hotpath::RecvError::closed) break;
      batch_.flush();
      publish_gauges();
      continue;
    }
    process(*item);
    // Counted dequeued only after scoring, so "scored" never lags what left the queue
    // at a quiescent point; flushed when the queue is empty so counts are exact then.
    dequeued_.fetch_add(1, std::memory_order_relaxed);
    if (++since_gauge == 256 || queue_depth() == 0) {
      since_gauge = 0;
      batch_.flush();
      publish_gauges();
    }
  }
  batch_.flush();
  publish_gauges();
  spdlog::debug("event=worker_stopped worker={} scored={}", index_, scored());
}

StreamPipeline* Worker::pipeline_for(const WorkItem& item) {
  const bool known = tenants_->contains(item.tenant);
  auto tenant = tenants_->get_or_create(item.tenant, item.values.size());
  if (!tenant) {
    if (std::uint64_t suppressed = 0; refused_log_.allow(LogLimiter::Clock::now(), suppressed)) {
      spdlog::error("event=tenant_refused worker={} tenant={} error=\"{}\" suppressed={}", index_, item.tenant,
                    tenant.error().message(), suppressed);
    }
    return nullptr;
  }
  if (!known) metrics_.live_tenants().Increment();
  tenant_count_.store(tenants_->size(), std::memory_order_relaxed);
  auto& streams = (**tenant)->streams;
  auto stream = streams.find(item.stream);
  if (stream == streams.end()) {
    auto pipeline = StreamPipeline::create(settings_, item.tenant, item.stream, item.values.size());
    if (!pipeline) {
      if (std::uint64_t suppressed = 0; pipeline_error_log_.allow(LogLimiter::Clock::now(), suppressed)) {
        spdlog::error("event=pipeline_error tenant={} stream={} error=\"{}\" suppressed={}", item.tenant,
                      item.stream, pipeline.error().message(), suppressed);
      }
      return nullptr;
    }
    stream = streams.emplace(item.stream, std::move(*pipeline)).first;
  }
  return stream->second.get();
}

void Worker::process(WorkItem& item) {
  StreamPipeline* pipeline = pipeline_for(item);
  if (pipeline == nullptr) {
    metrics_.rejected(RejectReason::no_capacity).Increment();
    return;
  }
  auto outcome = pipeline->process(item);
  if (!outcome) {
    // Only a dimension the ingest registry could not remember reaches this point.
    metrics_.rejected(RejectReason::dimension_mismatch).Increment();
    return;
  }
  if (outcome->regime_change) {
    const RegimeChange& change = *outcome->regime_change;
    if (std::uint64_t suppressed = 0; regime_log_.allow(LogLimiter::Clock::now(), suppressed)) {
      spdlog::info("event=score_regime_change tenant={} stream={} direction={} magnitude={:.2f} at={} suppressed={}",
                   item.tenant, item.stream, change.up ? "up" : "down", change.magnitude, change.time_index,
                   suppressed);
    }
  }
  if (outcome->alert) {
    hub_.publish(std::move(*outcome->alert));
  }
  scored_.fetch_add(1, std::memory_order_relaxed);
  batch_.scored(static_cast<double>(steady_ns() - item.received_steady_ns) * 1e-9);
}

}  // namespace anomstream::daemon
