#pragma once
// CountingSink: a MetricsSink that keeps a running total per counter id, for tests and
// for callers that read totals directly (the daemon's accounting check: received equals
// the sum of the outcomes). One relaxed atomic add per non-zero delta per batch, so
// totals read while batches arrive are each exact as of some moment but not mutually
// consistent. Memory: MAX_METRIC_COUNTERS + 1 atomics. Cannot fail.

#include <array>
#include <atomic>
#include <cstdint>

#include "anomstream/hotpath/metrics_sink.hpp"

namespace anomstream::hotpath {

class CountingSink final : public MetricsSink {
 public:
  CountingSink() = default;
  CountingSink(const CountingSink&) = delete;
  CountingSink& operator=(const CountingSink&) = delete;

  void record(const CounterArray& deltas) noexcept override;

  [[nodiscard]] std::uint64_t total(CounterId id) const noexcept;
  [[nodiscard]] CounterArray totals() const noexcept;
  // How many times `record` was called.
  [[nodiscard]] std::uint64_t batches() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, MAX_METRIC_COUNTERS> totals_{};
  std::atomic<std::uint64_t> batches_{0};
};

}  // namespace anomstream::hotpath
