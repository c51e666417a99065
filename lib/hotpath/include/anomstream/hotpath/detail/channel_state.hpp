#pragma once
// The shared state behind update_channel's Sender and Receiver handles: a bounded ring
// of slots with per-slot sequence numbers (D. Vyukov's bounded MPMC queue, 2010,
// specialised to one consumer), plus the wake-up words for the blocking variants.
//
// Slot sequence protocol, for a slot at ring position `pos` (index pos mod capacity):
//   seq == 2*pos            the slot is free for the producer that claims `pos`;
//   seq == 2*pos + 1        the element for `pos` is published;
//   seq == 2*(pos + cap)    consumed, free for the producer one lap later.
// Doubling the position keeps "published at pos" and "free for pos + 1" distinct, which
// the original scheme cannot do for capacity 1. Producers claim positions with a CAS on
// `tail_`, whose top bit is the closed flag, so claiming and closing are ordered by one
// atomic: no send can succeed after close(), and the consumer knows it has seen
// everything once head == tail and the flag is set.

#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <new>
#include <thread>
#include <type_traits>
#include <utility>

#include "anomstream/hotpath/channel_status.hpp"
#include "anomstream/hotpath/detail/cache_line.hpp"
#include "anomstream/hotpath/detail/futex.hpp"

namespace anomstream::hotpath::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

template <class T>
class ChannelState {
  static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_destructible_v<T>,
                "channel elements must be nothrow-movable: a send that claimed a slot "
                "must be able to publish it");

 public:
  // Polls before a blocking wait sleeps.
  static constexpr int SPIN_LIMIT = 128;
  // Yields after the spin, before a receiver sleeps (producers are often runnable).
  static constexpr int YIELD_LIMIT = 16;
  // Longest single sleep of a sender blocked on a full channel (see send_for).
  static constexpr std::chrono::microseconds SEND_WAIT_SLICE{1000};

  explicit ChannelState(std::size_t capacity)
      : slots_(std::make_unique<Slot[]>(capacity)),
        capacity_(capacity),
        mask_(capacity - 1),
        power_of_two_((capacity & (capacity - 1)) == 0) {
    for (std::size_t i = 0; i < capacity; ++i) {
      slots_[i].seq.store(2 * static_cast<std::uint64_t>(i), std::memory_order_relaxed);
    }
  }

  ChannelState(const ChannelState&) = delete;
  ChannelState& operator=(const ChannelState&) = delete;

  ~ChannelState() {
    const std::uint64_t tail = tail_.load(std::memory_order_acquire) & ~CLOSED_BIT;
    for (std::uint64_t pos = head_; pos < tail; ++pos) {
      Slot& slot = slots_[index(pos)];
      if (slot.seq.load(std::memory_order_acquire) == 2 * pos + 1) {
        std::destroy_at(slot.element());
      }
    }
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  [[nodiscard]] bool is_closed() const noexcept {
    return (tail_.load(std::memory_order_acquire) & CLOSED_BIT) != 0;
  }

  // Moves from `value` only when it returns `sent`.
  SendStatus try_send(T& value) noexcept {
    std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if ((tail & CLOSED_BIT) != 0) {
        return SendStatus::closed;
      }
      Slot& slot = slots_[index(tail)];
      const std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      const auto lag = static_cast<std::int64_t>(seq - 2 * tail);
      if (lag == 0) {
        // seq_cst: pairs with the receiver's store to receiver_waiting_ (see wait_for_element).
        if (tail_.compare_exchange_weak(tail, tail + 1, std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          std::construct_at(slot.element(), std::move(value));
          slot.seq.store(2 * tail + 1, std::memory_order_release);
          // Only the first producer to see a sleeping receiver pays for the wake-up.
          if (receiver_waiting_.load(std::memory_order_seq_cst) != 0 &&
              receiver_waiting_.exchange(0, std::memory_order_acq_rel) != 0) {
            recv_wake_.fetch_add(1, std::memory_order_release);
            futex_wake(recv_wake_, 1);
          }
          return SendStatus::sent;
        }
      } else if (lag < 0) {
        return SendStatus::full;  // the slot still holds the element from one lap ago
      } else {
        tail = tail_.load(std::memory_order_relaxed);  // another producer took `tail`
      }
    }
  }

  SendStatus send_for(T& value, std::chrono::nanoseconds timeout) noexcept {
    SendStatus status = try_send(value);
    for (int i = 0; status == SendStatus::full && i < SPIN_LIMIT; ++i) {
      cpu_relax();
      status = try_send(value);
    }
    if (status != SendStatus::full) {
      return status;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return SendStatus::timed_out;
      }
      const std::uint32_t ticket = send_wake_.load(std::memory_order_acquire);
      senders_waiting_.fetch_add(1, std::memory_order_seq_cst);
      status = try_send(value);
      if (status == SendStatus::full) {
        // The receiver checks senders_waiting_ without a store-load fence, so a wake-up
        // can be missed in a narrow race; the slice bounds what that costs.
        const auto remaining = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
        futex_wait(send_wake_, ticket, std::min<std::chrono::nanoseconds>(remaining, SEND_WAIT_SLICE));
        status = try_send(value);
      }
      senders_waiting_.fetch_sub(1, std::memory_order_relaxed);
      if (status != SendStatus::full) {
        return status;
      }
    }
  }

  // Single consumer only.
  std::expected<T, RecvError> try_recv() noexcept {
    const std::uint64_t pos = head_;
    Slot& slot = slots_[index(pos)];
    if (slot.seq.load(std::memory_order_acquire) == 2 * pos + 1) {
      std::expected<T, RecvError> out(std::in_place, std::move(*slot.element()));
      std::destroy_at(slot.element());
      slot.seq.store(2 * (pos + capacity_), std::memory_order_release);
      head_ = pos + 1;
      if (senders_waiting_.load(std::memory_order_relaxed) != 0) {
        send_wake_.fetch_add(1, std::memory_order_release);
        futex_wake(send_wake_, 1);
      }
      return out;
    }
    // Not published. Closed only if nothing was claimed beyond what was received; a
    // claimed but unpublished position is a send in progress, i.e. still `empty`.
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    if (tail == (pos | CLOSED_BIT)) {
      return std::unexpected(RecvError::closed);
    }
    return std::unexpected(RecvError::empty);
  }

  std::expected<T, RecvError> recv_for(std::chrono::nanoseconds timeout) noexcept {
    auto got = try_recv();
    for (int i = 0; !got && got.error() == RecvError::empty && i < SPIN_LIMIT; ++i) {
      cpu_relax();
      got = try_recv();
    }
    for (int i = 0; !got && got.error() == RecvError::empty && i < YIELD_LIMIT; ++i) {
      std::this_thread::yield();
      got = try_recv();
    }
    if (got || got.error() != RecvError::empty) {
      return got;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return std::unexpected(RecvError::timed_out);
      }
      const std::uint32_t ticket = recv_wake_.load(std::memory_order_acquire);
      // Dekker pair with try_send: either a producer's tail CAS is ordered before this
      // load of tail_ (and we do not sleep), or its later load of receiver_waiting_
      // sees 1 and it bumps recv_wake_ (and the futex does not sleep or is woken).
      receiver_waiting_.store(1, std::memory_order_seq_cst);
      const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
      if (tail == head_) {
        futex_wait(recv_wake_, ticket,
                   std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now));
      } else if ((tail & ~CLOSED_BIT) != head_) {
        std::this_thread::yield();  // a producer claimed a slot and is about to publish
      }
      receiver_waiting_.store(0, std::memory_order_relaxed);
      got = try_recv();
      if (got || got.error() != RecvError::empty) {
        return got;
      }
    }
  }

  void close() noexcept {
    tail_.fetch_or(CLOSED_BIT, std::memory_order_acq_rel);
    recv_wake_.fetch_add(1, std::memory_order_release);
    futex_wake(recv_wake_, INT_MAX);
    send_wake_.fetch_add(1, std::memory_order_release);
    futex_wake(send_wake_, INT_MAX);
  }

  void add_sender() noexcept { senders_.fetch_add(1, std::memory_order_relaxed); }
  // The last sender going away closes the channel, so the receiver drains and sees closed.
  void drop_sender() noexcept {
    if (senders_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      close();
    }
  }

 private:
  static constexpr std::uint64_t CLOSED_BIT = std::uint64_t{1} << 63;

  struct Slot {
    std::atomic<std::uint64_t> seq{0};
    alignas(T) std::byte storage[sizeof(T)];
    T* element() noexcept { return std::launder(reinterpret_cast<T*>(storage)); }
  };

  [[nodiscard]] std::size_t index(std::uint64_t pos) const noexcept {
    return power_of_two_ ? static_cast<std::size_t>(pos & mask_)
                         : static_cast<std::size_t>(pos % capacity_);
  }

  // Read-mostly: written at construction, or (the two flags) only around a sleep.
  const std::unique_ptr<Slot[]> slots_;
  const std::size_t capacity_;
  const std::uint64_t mask_;
  const bool power_of_two_;
  std::atomic<std::uint32_t> receiver_waiting_{0};
  std::atomic<std::uint32_t> senders_waiting_{0};
  std::atomic<std::size_t> senders_{1};

  // Next position producers claim, | CLOSED_BIT once closed.
  alignas(CACHE_LINE_SIZE) std::atomic<std::uint64_t> tail_{0};
  // Next position the consumer reads; the consumer's alone.
  alignas(CACHE_LINE_SIZE) std::uint64_t head_ = 0;
  // Futex words: bumped to wake a sleeping receiver / blocked senders.
  alignas(CACHE_LINE_SIZE) std::atomic<std::uint32_t> recv_wake_{0};
  alignas(CACHE_LINE_SIZE) std::atomic<std::uint32_t> send_wake_{0};
};

}  // namespace anomstream::hotpath::detail
