#pragma once
// ThreadPool: a fixed set of worker threads that runs a forest's per-tree work
// (implements forest::TreeExecutor).
//
// parallel_for(n, task) publishes one job, runs chunks of it on the calling thread too,
// and returns when every index in [0, n) is done. [0, n) is cut into one contiguous home
// range per thread (the caller's first), each with its own cursor: a thread claims chunks
// of its home range first, so the same indices (a forest's same trees) run on the same
// core call after call and their memory stays in that core's cache, then steals chunks
// from the other ranges, so a slow or descheduled thread delays only the chunk it holds.
// (With one shared cursor, trees migrated between cores from point to point and their
// modified nodes moved with them: two threads were slower than one.) The per-point
// jobs of a forest are short (tens of microseconds), so idle workers spin on the job word
// for `spin` iterations (default about 50 microseconds) before sleeping on it with
// std::atomic::wait; the caller wakes sleepers only when some are asleep. A late worker
// that wakes after a job has closed backs off without touching it (entry is counted and
// re-checked against the job generation, and the caller waits for entered workers to
// leave before returning). Calls from several threads are serialised by a mutex.
// Memory: one std::jthread per worker plus a few cache lines. Time per call: one atomic
// increment per chunk plus the wake-up of sleeping workers (a futex call) if any.
// Failure modes: `create` returns invalid_config for 0 or more than 256 threads;
// thread creation failure throws std::system_error from `create`.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/forest/tree_executor.hpp"
#include "anomstream/hotpath/detail/cache_line.hpp"

namespace anomstream::hotpath {

inline constexpr std::size_t MAX_POOL_THREADS = 256;
inline constexpr std::uint32_t DEFAULT_POOL_SPIN = 20000;

class ThreadPool final : public forest::TreeExecutor {
 public:
  // `threads` counts the calling thread: threads - 1 workers are started.
  [[nodiscard]] static Result<std::shared_ptr<ThreadPool>> create(
      std::size_t threads, std::uint32_t spin = DEFAULT_POOL_SPIN);

  ThreadPool(std::size_t threads, std::uint32_t spin);
  ~ThreadPool() override;

  void parallel_for(std::size_t count, Task task) noexcept override;
  [[nodiscard]] std::size_t concurrency() const noexcept override { return workers_.size() + 1; }

 private:
  static constexpr std::uint64_t STOP = 1;    // generation bit: shut down
  static constexpr std::uint64_t CLOSED = 2;  // generation bit: job finished, do not enter
  static constexpr std::uint64_t STEP = 4;    // generation increment per job

  void worker_loop(std::size_t home) noexcept;
  void run_chunks(std::size_t home) noexcept;

  // Job description, written by the caller before the generation is published.
  struct Job {
    Task* task = nullptr;
    std::size_t count = 0;
    std::size_t grain = 1;
  };
  // A home range's next unclaimed index, alone on its cache line.
  struct alignas(detail::CACHE_LINE_SIZE) Cursor {
    std::atomic<std::size_t> next{0};
  };
  // Home range r of the current job: [begin(r), begin(r + 1)).
  [[nodiscard]] std::size_t range_begin(std::size_t r) const noexcept {
    return job_.count * r / cursors_.size();
  }

  std::mutex submit_;
  std::uint32_t spin_;
  Job job_;
  alignas(detail::CACHE_LINE_SIZE) std::atomic<std::uint64_t> generation_{0};
  std::vector<Cursor> cursors_;  // one per thread
  alignas(detail::CACHE_LINE_SIZE) std::atomic<std::size_t> done_{0};
  alignas(detail::CACHE_LINE_SIZE) std::atomic<std::uint32_t> entered_{0};
  std::atomic<std::uint32_t> sleepers_{0};
  std::vector<std::jthread> workers_;
};

}  // namespace anomstream::hotpath
