#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "anomstream/hotpath/update_channel.hpp"
#include "test_scale.hpp"

using anomstream::hotpath::MAX_CHANNEL_CAPACITY;
using anomstream::hotpath::RecvError;
using anomstream::hotpath::SendStatus;
using anomstream::hotpath::try_update_channel;
using anomstream::hotpath::update_channel;
using namespace std::chrono_literals;

namespace {
// What the daemon sends: an observation owning a heap buffer.
struct Observation {
  std::uint64_t flow = 0;
  std::vector<double> values;
};

// Counts live instances, to check the channel destroys what it was never asked for.
struct Tracked {
  static inline std::atomic<int> live{0};
  int id = 0;
  explicit Tracked(int i) : id(i) { ++live; }
  Tracked(Tracked&& other) noexcept : id(other.id) { ++live; }
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() { --live; }
};

using Clock = std::chrono::steady_clock;
}  // namespace

TEST_CASE("capacity 0 and MAX_CHANNEL_CAPACITY + 1 are rejected naming the field and bound") {
  for (std::size_t bad : {std::size_t{0}, MAX_CHANNEL_CAPACITY + 1}) {
    auto channel = try_update_channel<int>(bad);
    REQUIRE_FALSE(channel.has_value());
    CHECK(channel.error().code == anomstream::ErrorCode::invalid_config);
    CHECK(channel.error().field == "capacity");
    CHECK(channel.error().bound ==
          "must be in [1, " + std::to_string(MAX_CHANNEL_CAPACITY) + "] (got " +
              std::to_string(bad) + ")");
  }
}

TEST_CASE("capacity 1: one element fits, the next send is full and keeps its value") {
  auto [tx, rx] = update_channel<Observation>(1);
  CHECK(tx.capacity() == 1);
  CHECK(rx.try_recv().error() == RecvError::empty);
  CHECK(tx.try_send(Observation{1, {1.0, 2.0}}) == SendStatus::sent);

  Observation second{2, {3.0, 4.0, 5.0}};
  CHECK(tx.try_send(std::move(second)) == SendStatus::full);
  CHECK(second.values.size() == 3);  // not moved from on failure

  auto got = rx.try_recv();
  REQUIRE(got.has_value());
  CHECK(got->flow == 1);
  CHECK(got->values == std::vector<double>{1.0, 2.0});
  CHECK(rx.try_recv().error() == RecvError::empty);
  CHECK(tx.try_send(std::move(second)) == SendStatus::sent);
  CHECK(second.values.empty());  // moved from on success
  CHECK(rx.try_recv()->values.size() == 3);
}

TEST_CASE("capacity MAX_CHANNEL_CAPACITY fills exactly and drains in order") {
  auto [tx, rx] = update_channel<std::uint32_t>(MAX_CHANNEL_CAPACITY);
  std::size_t sent = 0;
  for (std::uint32_t i = 0; i < MAX_CHANNEL_CAPACITY; ++i) {
    sent += tx.try_send(std::uint32_t{i}) == SendStatus::sent ? 1 : 0;
  }
  CHECK(sent == MAX_CHANNEL_CAPACITY);
  CHECK(tx.try_send(0U) == SendStatus::full);
  std::size_t in_order = 0;
  for (std::uint32_t i = 0; i < MAX_CHANNEL_CAPACITY; ++i) {
    auto got = rx.try_recv();
    in_order += got.has_value() && *got == i ? 1 : 0;
  }
  CHECK(in_order == MAX_CHANNEL_CAPACITY);
  CHECK(rx.try_recv().error() == RecvError::empty);
}

TEST_CASE("a capacity that is not a power of two wraps around in order for many laps") {
  auto [tx, rx] = update_channel<int>(3);
  int next_send = 0;
  int next_recv = 0;
  for (int lap = 0; lap < 100; ++lap) {
    while (tx.try_send(int{next_send}) == SendStatus::sent) ++next_send;
    CHECK(next_send - next_recv == 3);
    for (int k = 0; k < 2; ++k) {
      auto got = rx.try_recv();
      REQUIRE(got.has_value());
      CHECK(*got == next_recv++);
    }
  }
}

TEST_CASE("close lets the receiver drain what was sent, then reports closed") {
  auto [tx, rx] = update_channel<int>(8);
  CHECK(tx.try_send(1) == SendStatus::sent);
  CHECK(tx.try_send(2) == SendStatus::sent);
  CHECK(tx.try_send(3) == SendStatus::sent);
  auto other = tx;
  other.close();
  CHECK(tx.is_closed());
  CHECK(rx.is_closed());
  CHECK(tx.try_send(4) == SendStatus::closed);
  CHECK(tx.send_for(5, 10ms) == SendStatus::closed);
  CHECK(*rx.try_recv() == 1);
  CHECK(*rx.recv_for(1s) == 2);
  CHECK(*rx.try_recv() == 3);
  CHECK(rx.try_recv().error() == RecvError::closed);
  const auto start = Clock::now();
  CHECK(rx.recv_for(5s).error() == RecvError::closed);
  CHECK(Clock::now() - start < 1s);
}

TEST_CASE("dropping the receiver closes the channel for every sender") {
  auto [tx, rx] = update_channel<Tracked>(4);
  auto tx2 = tx;
  CHECK(tx.try_send(Tracked{1}) == SendStatus::sent);
  { auto gone = std::move(rx); }
  CHECK(tx.try_send(Tracked{2}) == SendStatus::closed);
  CHECK(tx2.try_send(Tracked{3}) == SendStatus::closed);
  CHECK(rx.try_recv().error() == RecvError::closed);  // moved-from handle
}

TEST_CASE("the channel closes when the last sender copy is dropped") {
  auto [tx, rx] = update_channel<int>(4);
  {
    auto copy = tx;
    auto assigned = tx;
    assigned = copy;
    CHECK(copy.try_send(7) == SendStatus::sent);
    { auto last = std::move(tx); }
    CHECK_FALSE(rx.is_closed());  // `copy` and `assigned` still open
  }
  CHECK(rx.is_closed());
  CHECK(*rx.try_recv() == 7);
  CHECK(rx.try_recv().error() == RecvError::closed);
  CHECK(tx.try_send(8) == SendStatus::closed);  // moved-from handle
}

TEST_CASE("undelivered elements are destroyed exactly once with the channel") {
  Tracked::live = 0;
  {
    auto [tx, rx] = update_channel<Tracked>(5);
    for (int i = 0; i < 5; ++i) CHECK(tx.try_send(Tracked{i}) == SendStatus::sent);
    CHECK(Tracked::live == 5);
    auto first = rx.try_recv();
    REQUIRE(first.has_value());
    CHECK(first->id == 0);
    CHECK(Tracked::live == 5);  // four queued + the one received
  }
  CHECK(Tracked::live == 0);
}

TEST_CASE("blocking receive and send return timed_out promptly") {
  auto [tx, rx] = update_channel<int>(1);
  auto start = Clock::now();
  CHECK(rx.recv_for(30ms).error() == RecvError::timed_out);
  auto elapsed = Clock::now() - start;
  CHECK(elapsed >= 30ms);
  CHECK(elapsed < 1s);  // generous: the machine is shared

  CHECK(tx.try_send(1) == SendStatus::sent);
  start = Clock::now();
  CHECK(tx.send_for(2, 30ms) == SendStatus::timed_out);
  elapsed = Clock::now() - start;
  CHECK(elapsed >= 30ms);
  CHECK(elapsed < 1s);

  CHECK(rx.recv_for(0ns).has_value());
  CHECK(rx.recv_for(0ns).error() == RecvError::timed_out);
}

TEST_CASE("a blocked receiver wakes when an element arrives or the channel closes") {
  auto [tx, rx] = update_channel<int>(2);
  std::thread producer([tx = tx]() mutable {
    std::this_thread::sleep_for(20ms);
    CHECK(tx.try_send(42) == SendStatus::sent);
    std::this_thread::sleep_for(20ms);
    tx.close();
  });
  const auto start = Clock::now();
  auto got = rx.recv_for(10s);
  REQUIRE(got.has_value());
  CHECK(*got == 42);
  CHECK(rx.recv_for(10s).error() == RecvError::closed);
  CHECK(Clock::now() - start < 5s);
  producer.join();
}

TEST_CASE("a sender blocked on a full channel wakes when room is made or the channel closes") {
  auto [tx, rx] = update_channel<int>(1);
  CHECK(tx.try_send(1) == SendStatus::sent);
  std::atomic<bool> sent_two{false};
  std::thread producer([&, tx = tx]() mutable {
    CHECK(tx.send_for(2, 10s) == SendStatus::sent);  // blocks until 1 is received
    sent_two = true;
    CHECK(tx.send_for(3, 10s) == SendStatus::closed);  // blocks until close()
  });
  std::this_thread::sleep_for(20ms);
  const auto start = Clock::now();
  CHECK(*rx.try_recv() == 1);
  while (!sent_two && Clock::now() - start < 5s) std::this_thread::yield();
  REQUIRE(sent_two);
  std::this_thread::sleep_for(20ms);
  rx.close();
  producer.join();
  CHECK(Clock::now() - start < 5s);
  CHECK(*rx.try_recv() == 2);
  CHECK(rx.try_recv().error() == RecvError::closed);
}
