#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "anomstream/hotpath/counting_sink.hpp"
#include "anomstream/hotpath/metrics_batcher.hpp"
#include "test_scale.hpp"

using anomstream::hotpath::CounterId;
using anomstream::hotpath::CountingSink;
using anomstream::hotpath::MAX_METRIC_COUNTERS;
using anomstream::hotpath::METRICS_BATCH_SIZE;
using anomstream::hotpath::MetricsBatcher;
using anomstream::hotpath::NoopSink;

namespace {
// The shape of the daemon's counter set.
enum class Counter : std::uint8_t { received, accepted, sampled_out, rate_capped, dropped_queue_full };
}  // namespace

TEST_CASE("counter ids are range-checked") {
  constexpr CounterId first{0U};
  constexpr CounterId last{MAX_METRIC_COUNTERS - 1};
  constexpr CounterId from_enum{Counter::rate_capped};
  CHECK(first.index() == 0);
  CHECK(last.index() == MAX_METRIC_COUNTERS - 1);
  CHECK(from_enum.index() == 3);
  CHECK(CounterId::from_index(5) == CounterId{5U});
  CHECK_FALSE(CounterId::from_index(MAX_METRIC_COUNTERS).has_value());
}

TEST_CASE("the batcher dispatches every METRICS_BATCH_SIZE operations, with exact totals") {
  CountingSink sink;
  MetricsBatcher batcher(sink);
  for (std::size_t i = 0; i + 1 < METRICS_BATCH_SIZE; ++i) batcher.add(Counter::received);
  CHECK(sink.batches() == 0);
  CHECK(sink.total(Counter::received) == 0);
  CHECK(batcher.pending(Counter::received) == METRICS_BATCH_SIZE - 1);

  batcher.add(Counter::accepted, 10);  // operation 64
  CHECK(sink.batches() == 1);
  CHECK(sink.total(Counter::received) == METRICS_BATCH_SIZE - 1);
  CHECK(sink.total(Counter::accepted) == 10);
  CHECK(batcher.pending_operations() == 0);
  CHECK(batcher.pending(Counter::received) == 0);

  for (std::size_t i = 0; i < 3 * METRICS_BATCH_SIZE; ++i) batcher.add(Counter::sampled_out);
  CHECK(sink.batches() == 4);
}

TEST_CASE("flush_metrics drains the residue and the destructor loses nothing") {
  CountingSink sink;
  {
    MetricsBatcher batcher(sink);
    batcher.add(Counter::rate_capped, 3);
    batcher.add(Counter::dropped_queue_full);
    batcher.flush_metrics();
    CHECK(sink.batches() == 1);
    CHECK(sink.total(Counter::rate_capped) == 3);
    batcher.flush_metrics();  // nothing pending: no empty dispatch
    CHECK(sink.batches() == 1);
    batcher.add(Counter::received, 5);
    MetricsBatcher moved = std::move(batcher);  // takes the pending count with it
    CHECK(moved.pending(Counter::received) == 5);
    CHECK(batcher.pending_operations() == 0);
  }
  CHECK(sink.total(Counter::received) == 5);
  CHECK(sink.total(Counter::dropped_queue_full) == 1);
  CHECK(sink.batches() == 2);
}

TEST_CASE("batchers on several threads feeding one sink lose no count") {
  constexpr std::size_t THREADS = 4;
  const std::size_t ops = anomstream::hotpath::test::scaled(100'003, 10'007);
  CountingSink sink;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < THREADS; ++t) {
    threads.emplace_back([&sink, ops, t] {
      MetricsBatcher batcher(sink);
      for (std::size_t i = 0; i < ops; ++i) {
        batcher.add(*CounterId::from_index((i + t) % MAX_METRIC_COUNTERS), 2);
      }
      batcher.flush_metrics();
    });
  }
  for (auto& thread : threads) thread.join();
  std::uint64_t total = 0;
  for (std::uint64_t value : sink.totals()) total += value;
  CHECK(total == 2 * THREADS * ops);
  // Each thread dispatched ceil(ops / 64) batches.
  CHECK(sink.batches() == THREADS * ((ops + METRICS_BATCH_SIZE - 1) / METRICS_BATCH_SIZE));
}

TEST_CASE("a NoopSink accepts batches and keeps nothing") {
  NoopSink sink;
  MetricsBatcher batcher(sink);
  for (std::size_t i = 0; i < 1000; ++i) batcher.add(Counter::received);
  batcher.flush_metrics();
  CHECK(batcher.pending_operations() == 0);
}
