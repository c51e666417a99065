#include "anomstream/hotpath/thread_pool.hpp"

#include <algorithm>

namespace anomstream::hotpath {

namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins, then yields the core (a worker holding a chunk may be descheduled on a busy
// machine; spinning against it would only delay it further).
class Backoff {
 public:
  void pause() noexcept {
    if (++spins_ < YIELD_AFTER) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }

 private:
  static constexpr std::uint32_t YIELD_AFTER = 2000;
  std::uint32_t spins_ = 0;
};

}  // namespace

Result<std::shared_ptr<ThreadPool>> ThreadPool::create(std::size_t threads, std::uint32_t spin) {
  if (auto status = require_in_range<std::size_t>(threads, 1, MAX_POOL_THREADS, "threads");
      !status) {
    return std::unexpected(status.error());
  }
  return std::make_shared<ThreadPool>(threads, spin);
}

ThreadPool::ThreadPool(std::size_t threads, std::uint32_t spin)
    : spin_(spin), cursors_(std::clamp<std::size_t>(threads, 1, MAX_POOL_THREADS)) {
  const std::size_t workers = cursors_.size() - 1;
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) {
    workers_.emplace_back([this, home = i + 1] { worker_loop(home); });
  }
}

ThreadPool::~ThreadPool() {
  generation_.fetch_or(STOP, std::memory_order_seq_cst);
  generation_.notify_all();
  workers_.clear();  // joins
}

void ThreadPool::run_chunks(std::size_t home) noexcept {
  const std::size_t ranges = cursors_.size();
  const std::size_t grain = job_.grain;
  const Task& task = *job_.task;
  std::size_t finished = 0;  // published once: one contended add per thread per job
  for (std::size_t step = 0; step < ranges; ++step) {  // home range first, then steal
    const std::size_t r = (home + step) % ranges;
    const std::size_t end_of_range = range_begin(r + 1);
    std::atomic<std::size_t>& cursor = cursors_[r].next;
    while (true) {
      const std::size_t begin = cursor.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= end_of_range) {
        break;
      }
      const std::size_t end = std::min(begin + grain, end_of_range);
      task(begin, end);
      finished += end - begin;
    }
  }
  if (finished > 0) {
    done_.fetch_add(finished, std::memory_order_release);
  }
}

void ThreadPool::worker_loop(std::size_t home) noexcept {
  // Generation 0 is "no job yet": a worker that starts after the first job was published
  // must still see it as new.
  std::uint64_t seen = 0;
  while (true) {
    std::uint64_t current = generation_.load(std::memory_order_acquire);
    if ((current & STOP) != 0) {
      return;  // also when shut down before this worker first ran
    }
    for (std::uint32_t i = 0; current == seen && i < spin_; ++i) {
      cpu_relax();
      current = generation_.load(std::memory_order_acquire);
    }
    if (current == seen) {
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      current = generation_.load(std::memory_order_seq_cst);
      if (current == seen) {
        generation_.wait(seen, std::memory_order_seq_cst);
        current = generation_.load(std::memory_order_acquire);
      }
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
      if (current == seen) {
        continue;  // spurious wake-up
      }
    }
    seen = current;
    if ((current & STOP) != 0) {
      return;
    }
    if ((current & CLOSED) != 0) {
      continue;
    }
    // Enter, then confirm the job is still open: the caller closes it and then waits for
    // entered workers to leave, so the job description is stable while we are inside.
    entered_.fetch_add(1, std::memory_order_seq_cst);
    if (generation_.load(std::memory_order_seq_cst) == current) {
      run_chunks(home);
    }
    entered_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::parallel_for(std::size_t count, Task task) noexcept {
  if (count == 0) {
    return;
  }
  if (workers_.empty() || count == 1) {
    task(0, count);
    return;
  }
  std::lock_guard lock(submit_);
  const std::size_t threads = workers_.size() + 1;
  job_.task = &task;
  job_.count = count;
  // Several chunks per thread balance uneven trees; one atomic add per chunk.
  job_.grain = std::max<std::size_t>(1, count / (threads * 8));
  for (std::size_t r = 0; r < threads; ++r) {
    cursors_[r].next.store(range_begin(r), std::memory_order_relaxed);
  }
  done_.store(0, std::memory_order_relaxed);
  const std::uint64_t open = (generation_.load(std::memory_order_relaxed) & ~CLOSED) + STEP;
  generation_.store(open, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    generation_.notify_all();
  }
  run_chunks(0);
  Backoff backoff;
  while (done_.load(std::memory_order_acquire) < count) {
    backoff.pause();
  }
  generation_.store(open | CLOSED, std::memory_order_seq_cst);
  while (entered_.load(std::memory_order_acquire) != 0) {
    backoff.pause();
  }
}

}  // namespace anomstream::hotpath
