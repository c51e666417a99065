#pragma once

#include <cstddef>
#include <functional>

namespace anomstream::timeseries {

// Where MatrixProfile runs its diagonal tasks. The library creates no threads (lib/core
// rule), so a caller that wants the diagonals computed in parallel passes an executor
// backed by its own threads (the daemon's pool, or std::thread in tests and benches).
// MatrixProfile asks for `concurrency()` tasks, each with a private partial profile
// (about 32 bytes per subsequence), and the tasks claim blocks of diagonals from a
// shared atomic counter, so a slow thread does not hold the others up. The tasks never
// throw and never allocate; they only read shared inputs and write their own partial.
class DiagonalExecutor {
 public:
  virtual ~DiagonalExecutor() = default;

  // How many tasks are worth running at once (>= 1; 0 is treated as 1).
  [[nodiscard]] virtual std::size_t concurrency() const noexcept = 0;

  // Runs task(0), ..., task(count - 1), in any order and possibly concurrently, and
  // returns once every one of them has returned.
  virtual void parallel_for(std::size_t count, const std::function<void(std::size_t)>& task) = 0;
};

// Runs every task on the calling thread, one after the other.
class InlineDiagonalExecutor final : public DiagonalExecutor {
 public:
  [[nodiscard]] std::size_t concurrency() const noexcept override { return 1; }
  void parallel_for(std::size_t count, const std::function<void(std::size_t)>& task) override {
    for (std::size_t index = 0; index < count; ++index) {
      task(index);
    }
  }
};

}  // namespace anomstream::timeseries
