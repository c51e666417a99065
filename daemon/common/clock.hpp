#pragma once
// The two clocks the daemon reads, in nanoseconds: steady (durations, deadlines) and
// wall (what logs, alerts and ledgers report).

#include <chrono>
#include <cstdint>

namespace anomstream::daemon {

inline std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline std::int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace anomstream::daemon
