#pragma once
// Minimal Linux futex(2) wrappers for the channel's blocking waits: std::atomic::wait
// has no timeout, and a condition variable would put a mutex on the wake path. The futex
// word is only a wake-up hint; every datum a waiter reads is published through the
// channel's own atomics, so a spurious or lost wake-up costs latency, never correctness.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace anomstream::hotpath::detail {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "futex words must be plain 32-bit lock-free atomics");

// Sleeps while `word == expected`, at most `timeout` (>= 0); may return early/spuriously.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::chrono::nanoseconds timeout) noexcept;

// Wakes up to `count` threads sleeping on `word`.
void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept;

}  // namespace anomstream::hotpath::detail
