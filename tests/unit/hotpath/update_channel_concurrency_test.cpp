#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "anomstream/hotpath/update_channel.hpp"
#include "test_scale.hpp"

using anomstream::hotpath::RecvError;
using anomstream::hotpath::SendStatus;
using anomstream::hotpath::update_channel;
using namespace std::chrono_literals;

namespace {

struct Item {
  std::uint32_t producer = 0;
  std::uint64_t seq = 0;
  std::vector<std::uint64_t> payload;  // a heap buffer travels with each element
};

enum class SendMode { try_send_spin, send_for };

// `producers` threads each send `per_producer` items 0, 1, 2, ... tagged with their id;
// the consumer checks that each producer's items arrive exactly once and in order.
void run_exactly_once_in_order(std::size_t producers, std::size_t per_producer,
                               std::size_t capacity, SendMode mode) {
  auto [tx, rx] = update_channel<Item>(capacity);
  std::vector<std::thread> threads;
  for (std::size_t p = 0; p < producers; ++p) {
    threads.emplace_back([p, per_producer, mode, tx = tx]() mutable {
      for (std::uint64_t seq = 0; seq < per_producer; ++seq) {
        Item item{static_cast<std::uint32_t>(p), seq, {seq, seq ^ p}};
        if (mode == SendMode::send_for) {
          while (tx.send_for(std::move(item), 100ms) == SendStatus::timed_out) {
          }
        } else {
          while (tx.try_send(std::move(item)) == SendStatus::full) {
            std::this_thread::yield();
          }
        }
      }
    });  // the thread's Sender copy is dropped when it finishes
  }
  { auto drop = std::move(tx); }  // only the producers' copies keep the channel open

  std::vector<std::uint64_t> next(producers, 0);
  std::size_t received = 0;
  bool in_order = true;
  bool payload_intact = true;
  for (;;) {
    auto got = rx.recv_for(1s);
    if (!got) {
      if (got.error() == RecvError::closed) break;
      continue;
    }
    ++received;
    const std::size_t p = got->producer;
    in_order = in_order && p < producers && got->seq == next[p];
    payload_intact = payload_intact && got->payload.size() == 2 &&
                     got->payload[0] == got->seq && got->payload[1] == (got->seq ^ p);
    if (p < producers) next[p] = got->seq + 1;
  }
  for (auto& thread : threads) thread.join();
  CHECK(in_order);
  CHECK(payload_intact);
  CHECK(received == producers * per_producer);
  for (std::size_t p = 0; p < producers; ++p) CHECK(next[p] == per_producer);
}

}  // namespace

TEST_CASE("every element from 1, 2, 4 and 8 producers arrives exactly once and in order") {
  const std::size_t per_producer = anomstream::hotpath::test::scaled(100'000, 4'000);
  for (std::size_t producers : {1U, 2U, 4U, 8U}) {
    CAPTURE(producers);
    run_exactly_once_in_order(producers, per_producer, 64, SendMode::try_send_spin);
  }
}

TEST_CASE("exactly once and in order with blocking sends into a tiny channel") {
  const std::size_t per_producer = anomstream::hotpath::test::scaled(20'000, 1'000);
  for (std::size_t producers : {1U, 2U, 4U, 8U}) {
    CAPTURE(producers);
    run_exactly_once_in_order(producers, per_producer, 3, SendMode::send_for);
  }
}

TEST_CASE("closing mid-stream: every send reported as sent is received, none after") {
  // Producers send until they see closed; the consumer closes after a while and drains.
  // Each producer's count of `sent` must equal what the consumer got from it, in order.
  constexpr std::size_t PRODUCERS = 4;
  const std::size_t close_after = anomstream::hotpath::test::scaled(50'000, 3'000);
  auto [tx, rx] = update_channel<Item>(128);
  std::vector<std::uint64_t> sent(PRODUCERS, 0);
  std::vector<std::thread> threads;
  for (std::size_t p = 0; p < PRODUCERS; ++p) {
    threads.emplace_back([p, &sent, tx = tx]() mutable {
      for (std::uint64_t seq = 0;; ++seq) {
        SendStatus status = SendStatus::full;
        while (status == SendStatus::full) {
          status = tx.try_send(Item{static_cast<std::uint32_t>(p), seq, {}});
          if (status == SendStatus::full) std::this_thread::yield();
        }
        if (status == SendStatus::closed) break;
        sent[p] = seq + 1;
      }
    });
  }
  std::vector<std::uint64_t> next(PRODUCERS, 0);
  bool in_order = true;
  std::size_t received = 0;
  for (;;) {
    auto got = rx.recv_for(1s);
    if (!got) {
      if (got.error() == RecvError::closed) break;
      continue;
    }
    in_order = in_order && got->seq == next[got->producer];
    next[got->producer] = got->seq + 1;
    if (++received == close_after) rx.close();
  }
  for (auto& thread : threads) thread.join();
  CHECK(in_order);
  CHECK(received >= close_after);
  for (std::size_t p = 0; p < PRODUCERS; ++p) {
    CAPTURE(p);
    CHECK(next[p] == sent[p]);
  }
}
