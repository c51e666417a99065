#pragma once
// What a channel send or receive reports instead of an element: the caller's signal to
// count a drop (full), retry (empty, timed_out) or shut down (closed). See update_channel.hpp.

#include <cstdint>

namespace anomstream::hotpath {

// Outcome of a send. `full` only from try_send, `timed_out` only from send_for.
enum class SendStatus : std::uint8_t { sent, full, closed, timed_out };
// Why a receive returned no element. `empty` only from try_recv, `timed_out` from recv_for.
enum class RecvError : std::uint8_t { empty, closed, timed_out };

[[nodiscard]] constexpr const char* to_string(SendStatus status) noexcept {
  switch (status) {
    case SendStatus::sent: return "sent";
    case SendStatus::full: return "full";
    case SendStatus::closed: return "closed";
    case SendStatus::timed_out: return "timed_out";
  }
  return "unknown";
}

[[nodiscard]] constexpr const char* to_string(RecvError error) noexcept {
  switch (error) {
    case RecvError::empty: return "empty";
    case RecvError::closed: return "closed";
    case RecvError::timed_out: return "timed_out";
  }
  return "unknown";
}

}  // namespace anomstream::hotpath
