#pragma once
// TreeExecutor: how a forest runs per-tree work in parallel without owning threads.
//
// The core library creates no threads (ARCHITECTURE.md); a forest that should use more
// than one core is given an executor, and the thread pool that implements it lives in
// anomstream::hotpath (hotpath/thread_pool.hpp). The forest calls `parallel_for` with the
// number of trees and a task over a half-open range of tree indices; every tree writes
// only its own state and result slot, and the forest reduces the slots in tree order, so
// results are bit-for-bit the same with and without an executor and for any thread count.
// Memory and time: none of its own here. Failure modes: none; a task must not throw
// (forest tasks are noexcept).

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace anomstream::forest {

class TreeExecutor {
 public:
  // Non-owning reference to a callable `void(std::size_t begin, std::size_t end)`; valid
  // for the duration of one parallel_for call. No allocation.
  class Task {
   public:
    template <class F>
      requires(!std::is_same_v<std::remove_cvref_t<F>, Task>)
    Task(F& callable) noexcept  // NOLINT(google-explicit-constructor)
        : object_(static_cast<void*>(std::addressof(callable))), call_(&invoke<F>) {}

    void operator()(std::size_t begin, std::size_t end) const noexcept {
      call_(object_, begin, end);
    }

   private:
    template <class F>
    static void invoke(void* object, std::size_t begin, std::size_t end) noexcept {
      (*static_cast<F*>(object))(begin, end);
    }
    void* object_;
    void (*call_)(void*, std::size_t, std::size_t) noexcept;
  };

  TreeExecutor() = default;
  TreeExecutor(const TreeExecutor&) = delete;
  TreeExecutor& operator=(const TreeExecutor&) = delete;
  virtual ~TreeExecutor() = default;

  // Calls `task` on disjoint ranges covering [0, count) exactly once, possibly
  // concurrently, and returns when all of them have finished. Safe to call from several
  // threads (calls may be serialised).
  virtual void parallel_for(std::size_t count, Task task) noexcept = 0;

  // Number of threads that may run tasks at once (including the caller).
  [[nodiscard]] virtual std::size_t concurrency() const noexcept = 0;
};

}  // namespace anomstream::forest
