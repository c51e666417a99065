#pragma once
// MetricsSink: where the hot path's counters go (Prometheus in the daemon, a
// CountingSink in tests, NoopSink when metrics are off).
//
// Counting on every observation must not cost a shared atomic per counter per event, so
// each ingest thread accumulates into a MetricsBatcher and hands the sink the whole
// counter array once every METRICS_BATCH_SIZE operations (and on flush). Counter ids are
// small integers below MAX_METRIC_COUNTERS, defined by the daemon (received, accepted,
// sampled_out, rate_capped, rejected_<reason>, dropped_queue_full, ...); a CounterId
// built from a constant is range-checked at compile time, one built at run time through
// `from_index`. A sink is called concurrently by every thread's batcher, so `record` must
// be thread-safe; it must not throw and should not block for long. Memory: the array is
// MAX_METRIC_COUNTERS * 8 bytes, passed by reference.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

namespace anomstream::hotpath {

inline constexpr std::size_t MAX_METRIC_COUNTERS = 32;
inline constexpr std::size_t METRICS_BATCH_SIZE = 64;

// Index of one counter, always < MAX_METRIC_COUNTERS.
class CounterId {
 public:
  // From a constant index or enumerator: an out-of-range value does not compile.
  consteval CounterId(std::size_t index) : index_(checked(index)) {}  // NOLINT(google-explicit-constructor)
  template <class E>
    requires std::is_enum_v<E>
  consteval CounterId(E id)  // NOLINT(google-explicit-constructor)
      : index_(checked(static_cast<std::size_t>(std::to_underlying(id)))) {}

  // From a run-time index: nullopt when out of range.
  [[nodiscard]] static constexpr std::optional<CounterId> from_index(std::size_t index) noexcept {
    if (index >= MAX_METRIC_COUNTERS) {
      return std::nullopt;
    }
    return CounterId(Unchecked{}, index);
  }

  [[nodiscard]] constexpr std::size_t index() const noexcept { return index_; }
  friend constexpr bool operator==(CounterId, CounterId) = default;

 private:
  struct Unchecked {};
  constexpr CounterId(Unchecked, std::size_t index) noexcept : index_(index) {}
  static consteval std::size_t checked(std::size_t index) {
    if (index >= MAX_METRIC_COUNTERS) {
      throw "counter id must be below MAX_METRIC_COUNTERS";
    }
    return index;
  }

  std::size_t index_;
};

using CounterArray = std::array<std::uint64_t, MAX_METRIC_COUNTERS>;

class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  // Adds deltas[i] to counter i for every i. Called concurrently from several threads.
  virtual void record(const CounterArray& deltas) noexcept = 0;

 protected:
  MetricsSink() = default;
  MetricsSink(const MetricsSink&) = default;
  MetricsSink& operator=(const MetricsSink&) = default;
};

// Discards everything (metrics disabled).
class NoopSink final : public MetricsSink {
 public:
  void record(const CounterArray& /*deltas*/) noexcept override {}
};

}  // namespace anomstream::hotpath
