#include "anomstream/hotpath/counting_sink.hpp"

#include <cstddef>

namespace anomstream::hotpath {

void CountingSink::record(const CounterArray& deltas) noexcept {
  for (std::size_t i = 0; i < MAX_METRIC_COUNTERS; ++i) {
    if (deltas[i] != 0) {
      totals_[i].fetch_add(deltas[i], std::memory_order_relaxed);
    }
  }
  batches_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t CountingSink::total(CounterId id) const noexcept {
  return totals_[id.index()].load(std::memory_order_relaxed);
}

CounterArray CountingSink::totals() const noexcept {
  CounterArray out{};
  for (std::size_t i = 0; i < MAX_METRIC_COUNTERS; ++i) {
    out[i] = totals_[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::uint64_t CountingSink::batches() const noexcept {
  return batches_.load(std::memory_order_relaxed);
}

}  // namespace anomstream::hotpath
