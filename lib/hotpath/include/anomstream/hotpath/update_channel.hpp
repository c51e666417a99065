#pragma once
// update_channel: the bounded multi-producer single-consumer channel between ingest
// threads (many Senders) and one scoring worker (its Receiver).
//
// Threat: a traffic burst or a flood must not grow memory or stall ingest; the channel
// sheds load predictably instead. It is a fixed ring allocated at creation (D. Vyukov's
// bounded MPMC queue with per-slot sequence numbers, specialised to one consumer; see
// detail/channel_state.hpp): `try_send` never blocks and reports `full`, which the caller
// counts as a drop. Every element sent is received exactly once, in each producer's send
// order; `close()` (or dropping the Receiver or the last Sender) makes further sends
// return `closed` while the receiver drains what was sent and then sees `closed`.
// Memory: capacity * (sizeof(T) + 8) bytes rounded to T's alignment, plus four cache
// lines; no allocation after creation (moving T may allocate only if T's move does).
// Time: try_send is one CAS on the shared tail plus a release store (contended between
// producers), try_recv a load and a store on the slot. Blocking variants spin briefly,
// then sleep on a futex with the caller's timeout; a sender blocked on a full channel
// re-checks at least every millisecond. Failure modes: capacity outside
// [1, MAX_CHANNEL_CAPACITY] is rejected at creation; T must be nothrow-movable.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <memory>
#include <utility>

#include "anomstream/core/error.hpp"
#include "anomstream/hotpath/detail/channel_state.hpp"

namespace anomstream::hotpath {

inline constexpr std::size_t MAX_CHANNEL_CAPACITY = std::size_t{1} << 20;

template <class T>
class Receiver;

// Producer handle. Copyable: each ingest thread holds its own copy. When the last copy is
// destroyed the channel closes. A moved-from Sender reports `closed`.
template <class T>
class Sender {
 public:
  Sender(const Sender& other) noexcept : state_(other.state_) {
    if (state_) {
      state_->add_sender();
    }
  }
  Sender(Sender&& other) noexcept = default;
  Sender& operator=(const Sender& other) noexcept {
    if (this != &other) {
      Sender copy(other);
      release();
      state_ = std::move(copy.state_);
    }
    return *this;
  }
  Sender& operator=(Sender&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~Sender() { release(); }

  // Never blocks: sent, full or closed. `value` is moved from only when sent.
  [[nodiscard]] SendStatus try_send(T&& value) noexcept {
    return state_ ? state_->try_send(value) : SendStatus::closed;
  }
  // Waits up to `timeout` for room: sent, timed_out or closed. Moved from only when sent.
  [[nodiscard]] SendStatus send_for(T&& value, std::chrono::nanoseconds timeout) noexcept {
    return state_ ? state_->send_for(value, timeout) : SendStatus::closed;
  }

  void close() noexcept {
    if (state_) {
      state_->close();
    }
  }
  [[nodiscard]] bool is_closed() const noexcept { return !state_ || state_->is_closed(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return state_ ? state_->capacity() : 0; }

 private:
  template <class U>
  friend Result<std::pair<Sender<U>, Receiver<U>>> try_update_channel(std::size_t capacity);

  explicit Sender(std::shared_ptr<detail::ChannelState<T>> state) noexcept
      : state_(std::move(state)) {}

  void release() noexcept {
    if (state_) {
      state_->drop_sender();
      state_.reset();
    }
  }

  std::shared_ptr<detail::ChannelState<T>> state_;
};

// Consumer handle. Move-only: exactly one thread receives. Destroying it closes the
// channel (senders then see `closed`); undelivered elements are destroyed with the last
// handle. A moved-from Receiver reports `closed`.
template <class T>
class Receiver {
 public:
  Receiver(Receiver&& other) noexcept = default;
  Receiver& operator=(Receiver&& other) noexcept {
    if (this != &other) {
      close();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  ~Receiver() { close(); }

  // Never blocks: an element, or empty, or closed (closed and fully drained).
  [[nodiscard]] std::expected<T, RecvError> try_recv() noexcept {
    return state_ ? state_->try_recv() : std::unexpected(RecvError::closed);
  }
  // Waits up to `timeout`: an element, or timed_out, or closed (closed and drained).
  [[nodiscard]] std::expected<T, RecvError> recv_for(std::chrono::nanoseconds timeout) noexcept {
    return state_ ? state_->recv_for(timeout) : std::unexpected(RecvError::closed);
  }

  // Stops further sends; what was already sent can still be received.
  void close() noexcept {
    if (state_) {
      state_->close();
    }
  }
  [[nodiscard]] bool is_closed() const noexcept { return !state_ || state_->is_closed(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return state_ ? state_->capacity() : 0; }

 private:
  template <class U>
  friend Result<std::pair<Sender<U>, Receiver<U>>> try_update_channel(std::size_t capacity);

  explicit Receiver(std::shared_ptr<detail::ChannelState<T>> state) noexcept
      : state_(std::move(state)) {}

  std::shared_ptr<detail::ChannelState<T>> state_;
};

// Validating form: capacity in [1, MAX_CHANNEL_CAPACITY], else invalid_config naming
// "capacity". Allocates the ring.
template <class T>
[[nodiscard]] Result<std::pair<Sender<T>, Receiver<T>>> try_update_channel(std::size_t capacity) {
  if (auto ok = require_in_range<std::size_t>(capacity, 1, MAX_CHANNEL_CAPACITY, "capacity");
      !ok) {
    return std::unexpected(ok.error());
  }
  auto state = std::make_shared<detail::ChannelState<T>>(capacity);
  Sender<T> sender(state);  // before `state` is moved into the receiver
  Receiver<T> receiver(std::move(state));
  return std::pair<Sender<T>, Receiver<T>>(std::move(sender), std::move(receiver));
}

// Convenience form for capacities known to be valid (constants, validated config):
// an invalid capacity is a programming error and aborts with the error message.
template <class T>
[[nodiscard]] std::pair<Sender<T>, Receiver<T>> update_channel(std::size_t capacity) {
  auto channel = try_update_channel<T>(capacity);
  if (!channel) {
    std::fprintf(stderr, "update_channel: %s\n", channel.error().message().c_str());
    std::abort();
  }
  return std::move(*channel);
}

}  // namespace anomstream::hotpath
