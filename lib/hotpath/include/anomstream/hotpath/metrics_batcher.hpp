#pragma once
// MetricsBatcher: one ingest thread's pending counter updates, handed to a MetricsSink
// every METRICS_BATCH_SIZE operations so the per-observation cost is a plain array add
// (no atomic, no virtual call) and the sink sees 1/64th of the traffic.
//
// Owned by one thread; not thread-safe. `flush_metrics()` dispatches the residue (call it
// at shutdown; the destructor also does), so no count is lost. The sink must outlive the
// batcher. Memory: MAX_METRIC_COUNTERS * 8 bytes plus a counter. Time: O(1) per `add`,
// O(MAX_METRIC_COUNTERS) per dispatch. Cannot fail.

#include <cstdint>

#include "anomstream/hotpath/metrics_sink.hpp"

namespace anomstream::hotpath {

class MetricsBatcher {
 public:
  explicit MetricsBatcher(MetricsSink& sink) noexcept : sink_(&sink) {}
  // Takes over the other batcher's pending counts (the other is left empty).
  MetricsBatcher(MetricsBatcher&& other) noexcept;
  MetricsBatcher& operator=(MetricsBatcher&& other) noexcept;
  MetricsBatcher(const MetricsBatcher&) = delete;
  MetricsBatcher& operator=(const MetricsBatcher&) = delete;
  ~MetricsBatcher() { flush_metrics(); }

  // One operation: counter `id` += delta. Dispatches when the batch is full.
  void add(CounterId id, std::uint64_t delta = 1) noexcept {
    pending_[id.index()] += delta;
    if (++operations_ == METRICS_BATCH_SIZE) {
      flush_metrics();
    }
  }

  // Hands every pending count to the sink now (no-op when nothing is pending).
  void flush_metrics() noexcept;

  [[nodiscard]] std::uint64_t pending(CounterId id) const noexcept { return pending_[id.index()]; }
  [[nodiscard]] std::uint32_t pending_operations() const noexcept { return operations_; }

 private:
  MetricsSink* sink_;
  CounterArray pending_{};
  std::uint32_t operations_ = 0;
};

}  // namespace anomstream::hotpath
