#pragma once
// LogLimiter: at most `burst` log lines per `period` for one kind of event on the hot
// path, so a flood (one refused tenant per observation, a regime change on every
// anomaly of an attack) cannot fill the disk or drown other lines. The lines it holds
// back are counted, and the next line it lets through says how many (`suppressed=N`).
// Owned by one thread, like the worker that logs through it: no atomics. Memory: four
// words. Time: one comparison of time points per event.

#include <chrono>
#include <cstdint>

namespace anomstream::daemon {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  LogLimiter(std::uint32_t burst, Clock::duration period) noexcept : burst_(burst), period_(period) {}

  // Whether to write this event's line now. When it returns true, `suppressed` is the
  // number of lines held back since the last one written (to be reported on this line).
  [[nodiscard]] bool allow(Clock::time_point now, std::uint64_t& suppressed) noexcept {
    if (now - window_start_ >= period_) {
      window_start_ = now;
      in_window_ = 0;
    }
    if (in_window_ >= burst_) {
      ++held_;
      return false;
    }
    ++in_window_;
    suppressed = held_;
    held_ = 0;
    return true;
  }

 private:
  std::uint32_t burst_;
  Clock::duration period_;
  Clock::time_point window_start_{};
  std::uint32_t in_window_ = 0;
  std::uint64_t held_ = 0;
};

}  // namespace anomstream::daemon
