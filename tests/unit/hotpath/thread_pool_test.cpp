#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "anomstream/hotpath/thread_pool.hpp"

using anomstream::ErrorCode;
using anomstream::hotpath::ThreadPool;

namespace {

// Runs one parallel_for over `count` indices and checks each index ran exactly once.
void check_covers_once(ThreadPool& pool, std::size_t count) {
  std::vector<std::atomic<int>> hits(count);
  auto task = [&](std::size_t begin, std::size_t end) noexcept {
    for (std::size_t i = begin; i < end; ++i) {
      hits[i].fetch_add(1, std::memory_order_relaxed);
    }
  };
  pool.parallel_for(count, ThreadPool::Task(task));
  for (std::size_t i = 0; i < count; ++i) {
    REQUIRE(hits[i].load() == 1);
  }
}

}  // namespace

TEST_CASE("parallel_for runs every index exactly once for any count and thread number") {
  for (const std::size_t threads : {1, 2, 3, 4}) {
    auto pool = ThreadPool::create(threads);
    REQUIRE(pool);
    CHECK((*pool)->concurrency() == threads);
    for (const std::size_t count : {0, 1, 2, 7, 64, 100, 1000, 4099}) {
      check_covers_once(**pool, count);
    }
  }
}

TEST_CASE("the first job after creation reaches the worker, even one that starts after it") {
  // Index 0 is the caller's home range and index 1 the worker's. The caller's task holds
  // index 0 until another thread has run index 1 (or 20 s pass, when it would steal it):
  // a worker that started after the job was published and took it for an old one slept
  // through it, and the caller ran both.
  for (int trial = 0; trial < 20; ++trial) {
    auto pool = ThreadPool::create(2);
    REQUIRE(pool);
    const auto caller = std::this_thread::get_id();
    std::atomic<bool> second_by_worker{false};
    auto task = [&](std::size_t begin, std::size_t end) noexcept {
      for (std::size_t i = begin; i < end; ++i) {
        if (i == 1) {
          second_by_worker.store(std::this_thread::get_id() != caller);
          continue;
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!second_by_worker.load() && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::yield();
        }
      }
    };
    (*pool)->parallel_for(2, ThreadPool::Task(task));
    REQUIRE(second_by_worker.load());
  }
}

TEST_CASE("writes made by tasks are visible to the caller when parallel_for returns") {
  auto pool = ThreadPool::create(2);
  REQUIRE(pool);
  std::vector<std::size_t> out(100, 0);
  for (std::size_t round = 1; round <= 2000; ++round) {
    auto task = [&](std::size_t begin, std::size_t end) noexcept {
      for (std::size_t i = begin; i < end; ++i) {
        out[i] = round * 1000 + i;
      }
    };
    (*pool)->parallel_for(out.size(), ThreadPool::Task(task));
    for (std::size_t i = 0; i < out.size(); ++i) {
      REQUIRE(out[i] == round * 1000 + i);
    }
  }
}

TEST_CASE("workers that fall asleep between jobs are woken for the next one") {
  // spin = 0: every idle worker goes straight to sleep, exercising the wake-up path.
  auto pool = ThreadPool::create(3, 0);
  REQUIRE(pool);
  for (int round = 0; round < 300; ++round) {
    check_covers_once(**pool, 50);
    if (round % 50 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

TEST_CASE("calls from several threads at once are serialised and all complete") {
  auto pool = ThreadPool::create(2);
  REQUIRE(pool);
  std::atomic<std::size_t> total{0};
  std::vector<std::jthread> callers;
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        auto task = [&](std::size_t begin, std::size_t end) noexcept {
          total.fetch_add(end - begin, std::memory_order_relaxed);
        };
        (*pool)->parallel_for(37, ThreadPool::Task(task));
      }
    });
  }
  callers.clear();
  CHECK(total.load() == 3U * 200U * 37U);
}

TEST_CASE("a pool can be destroyed while its workers spin or sleep") {
  for (const std::uint32_t spin : {0U, 1000000U}) {
    auto pool = ThreadPool::create(4, spin);
    REQUIRE(pool);
    check_covers_once(**pool, 10);
  }
}

TEST_CASE("the thread count is validated and named") {
  auto zero = ThreadPool::create(0);
  REQUIRE_FALSE(zero);
  CHECK(zero.error().code == ErrorCode::invalid_config);
  CHECK(zero.error().field == "threads");
  auto many = ThreadPool::create(257);
  REQUIRE_FALSE(many);
  CHECK(many.error().field == "threads");
}
