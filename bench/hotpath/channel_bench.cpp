// Channel throughput, MPSC, 1 and 2 producers: update_channel against
// boost::lockfree::queue and a mutex-guarded std::deque, all bounded at the same capacity
// and driven by the same loop (try-push / try-pop, pause then yield while full or empty).
// Items are u64 because boost::lockfree::queue needs a trivially copyable element; one
// extra case sends an observation owning a std::vector through our channel and the mutex
// queue (boost cannot carry it). The blocking cases replace the consumer's poll loop with
// a timed blocking receive: our futex wait (recv_for) against a condition variable on the
// mutex queue (producers notify after each push).

#include <benchmark/benchmark.h>

#include <boost/lockfree/queue.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "anomstream/hotpath/update_channel.hpp"

namespace {

using anomstream::hotpath::SendStatus;

constexpr std::size_t CAPACITY = 1024;
constexpr std::size_t ITEMS_PER_ITERATION = std::size_t{1} << 16;

struct Observation {
  std::uint64_t flow = 0;
  std::vector<double> values;
};

void backoff(int& spins) {
  if (++spins < 64) {
    anomstream::hotpath::detail::cpu_relax();
  } else {
    spins = 0;
    std::this_thread::yield();
  }
}

template <class T>
T make_item(std::uint64_t i) {
  if constexpr (std::is_same_v<T, Observation>) {
    return Observation{i, {static_cast<double>(i), 1.0, 2.0, 3.0}};
  } else {
    return i;
  }
}

template <class T>
std::uint64_t checksum_of(const T& item) {
  if constexpr (std::is_same_v<T, Observation>) {
    return item.flow + item.values.size();
  } else {
    return item;
  }
}

template <class T>
class OurChannel {
 public:
  class Producer {
   public:
    explicit Producer(anomstream::hotpath::Sender<T> tx) : tx_(std::move(tx)) {}
    bool try_push(T&& item) { return tx_.try_send(std::move(item)) == SendStatus::sent; }

   private:
    anomstream::hotpath::Sender<T> tx_;
  };
  OurChannel() : channel_(anomstream::hotpath::update_channel<T>(CAPACITY)) {}
  Producer producer() { return Producer(channel_.first); }
  bool try_pop(T& out) {
    auto got = channel_.second.try_recv();
    if (!got) return false;
    out = std::move(*got);
    return true;
  }
  bool pop_for(T& out, std::chrono::nanoseconds timeout) {
    auto got = channel_.second.recv_for(timeout);
    if (!got) return false;
    out = std::move(*got);
    return true;
  }

 private:
  std::pair<anomstream::hotpath::Sender<T>, anomstream::hotpath::Receiver<T>> channel_;
};

template <class T>
class BoostQueue {
 public:
  class Producer {
   public:
    explicit Producer(BoostQueue& queue) : queue_(&queue) {}
    bool try_push(T&& item) { return queue_->queue_.bounded_push(item); }

   private:
    BoostQueue* queue_;
  };
  Producer producer() { return Producer(*this); }
  bool try_pop(T& out) { return queue_.pop(out); }

 private:
  boost::lockfree::queue<T, boost::lockfree::capacity<CAPACITY>> queue_;
};

template <class T>
class MutexDeque {
 public:
  class Producer {
   public:
    explicit Producer(MutexDeque& queue) : queue_(&queue) {}
    bool try_push(T&& item) {
      const std::lock_guard lock(queue_->mutex_);
      if (queue_->items_.size() >= CAPACITY) return false;
      queue_->items_.push_back(std::move(item));
      return true;
    }

   private:
    MutexDeque* queue_;
  };
  Producer producer() { return Producer(*this); }
  bool try_pop(T& out) {
    const std::lock_guard lock(mutex_);
    if (items_.empty()) return false;
    out = std::move(items_.front());
    items_.pop_front();
    return true;
  }

 private:
  std::mutex mutex_;
  std::deque<T> items_;
};

// The mutex queue with a condition variable for a blocking consumer.
template <class T>
class MutexCvDeque {
 public:
  class Producer {
   public:
    explicit Producer(MutexCvDeque& queue) : queue_(&queue) {}
    bool try_push(T&& item) {
      {
        const std::lock_guard lock(queue_->mutex_);
        if (queue_->items_.size() >= CAPACITY) return false;
        queue_->items_.push_back(std::move(item));
      }
      queue_->not_empty_.notify_one();
      return true;
    }

   private:
    MutexCvDeque* queue_;
  };
  Producer producer() { return Producer(*this); }
  bool pop_for(T& out, std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [this] { return !items_.empty(); })) return false;
    out = std::move(items_.front());
    items_.pop_front();
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
};

template <template <class> class Queue, class T>
void BM_transfer(benchmark::State& state) {
  const auto producers = static_cast<std::size_t>(state.range(0));
  const std::size_t per_producer = ITEMS_PER_ITERATION / producers;
  Queue<T> queue;
  std::uint64_t checksum = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (std::size_t p = 0; p < producers; ++p) {
      threads.emplace_back([handle = queue.producer(), per_producer]() mutable {
        int spins = 0;
        for (std::uint64_t i = 0; i < per_producer; ++i) {
          T item = make_item<T>(i);
          while (!handle.try_push(std::move(item))) backoff(spins);
        }
      });
    }
    T item{};
    int spins = 0;
    for (std::size_t received = 0; received < per_producer * producers;) {
      if (queue.try_pop(item)) {
        checksum += checksum_of(item);
        ++received;
      } else {
        backoff(spins);
      }
    }
    for (auto& thread : threads) thread.join();
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * per_producer * producers));
}

template <template <class> class Queue>
void BM_transfer_blocking(benchmark::State& state) {
  const auto producers = static_cast<std::size_t>(state.range(0));
  const std::size_t per_producer = ITEMS_PER_ITERATION / producers;
  Queue<std::uint64_t> queue;
  std::uint64_t checksum = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (std::size_t p = 0; p < producers; ++p) {
      threads.emplace_back([handle = queue.producer(), per_producer]() mutable {
        int spins = 0;
        for (std::uint64_t i = 0; i < per_producer; ++i) {
          while (!handle.try_push(std::uint64_t{i})) backoff(spins);
        }
      });
    }
    std::uint64_t item = 0;
    for (std::size_t received = 0; received < per_producer * producers;) {
      if (queue.pop_for(item, std::chrono::milliseconds(100))) {
        checksum += item;
        ++received;
      }
    }
    for (auto& thread : threads) thread.join();
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * per_producer * producers));
}

BENCHMARK_TEMPLATE(BM_transfer, OurChannel, std::uint64_t)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_transfer, BoostQueue, std::uint64_t)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_transfer, MutexDeque, std::uint64_t)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_transfer, OurChannel, Observation)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_transfer, MutexDeque, Observation)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_transfer_blocking, OurChannel)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_transfer_blocking, MutexCvDeque)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
