#pragma once
// PrefixRateCap: caps how many observations each source prefix (or tenant) may push into
// the pipeline per time window, so one noisy or hostile source cannot take the workers'
// whole budget.
//
// A 256-bucket counter sketch (a count-min sketch of depth 1, reset every window): a
// prefix key maps to a bucket by SipHash-1-3 under a 128-bit secret (core's
// draw_secret_key, or caller-supplied), so an attacker can neither aim at one bucket nor
// find prefixes that share a victim's bucket. Each bucket is one 64-bit atomic on its own cache line holding
// the window number (high 32 bits) and the count (low 32 bits); a decision is one load
// and, when admitted, one CAS. Window roll-over is part of the same CAS, so there is no
// lock and no reset thread, and concurrent callers never admit more than `cap_per_window`
// per bucket per window in total. The clock is the caller's (`now_ns`, e.g.
// `monotonic_now_ns()`), which makes tests deterministic. Memory: 256 * 64 B = 16 KiB.
// Time: ~10-15 ns (one SipHash-1-3 of a u64, a multiply-shift division, one CAS). Failure modes: prefixes
// that collide in a bucket share its cap (expected 1/256 of the others); a caller whose
// clock lags the bucket's window by up to LATE_TOLERANCE_WINDOWS windows is counted in the
// bucket's newer window, and a bucket idle for a multiple of 2^32 windows within that
// tolerance (136 years at 1 s windows) is read as still current. Construction returns
// invalid_config for cap_per_window outside [1, MAX_CAP_PER_WINDOW] or window < 1 ns, and
// io_error if the OS has no entropy source.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "anomstream/core/error.hpp"
#include "anomstream/core/siphash.hpp"
#include "anomstream/hotpath/detail/cache_line.hpp"
#include "anomstream/hotpath/detail/invariant_divider.hpp"

namespace anomstream::hotpath {

struct PrefixRateCapConfig {
  std::uint64_t cap_per_window = 10'000;  // admitted per bucket per window, >= 1
  std::chrono::nanoseconds window = std::chrono::seconds(1);  // >= 1 ns
};

// Nanoseconds on std::chrono::steady_clock, the clock the daemon passes to `allow`.
[[nodiscard]] inline std::uint64_t monotonic_now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

class PrefixRateCap {
 public:
  static constexpr std::size_t BUCKETS = 256;
  static constexpr std::uint64_t MAX_CAP_PER_WINDOW = 0xffff'ffffULL;
  static constexpr std::uint32_t LATE_TOLERANCE_WINDOWS = 1024;

  // Secret bucket key from draw_secret_key (getrandom(2)).
  [[nodiscard]] static Result<PrefixRateCap> create(const PrefixRateCapConfig& config);
  // Caller-supplied secret (hosts without an entropy source; deterministic tests).
  [[nodiscard]] static Result<PrefixRateCap> create_with_key(const PrefixRateCapConfig& config,
                                                             SipKey secret);
  // Admits everything and holds no buckets.
  [[nodiscard]] static PrefixRateCap disabled() noexcept;

  // Admit one observation from `prefix_key` at `now_ns`? Lock-free, thread-safe.
  [[nodiscard]] bool allow(std::uint64_t prefix_key, std::uint64_t now_ns) noexcept {
    return buckets_ == nullptr || admit(bucket_of(prefix_key), now_ns);
  }
  [[nodiscard]] bool allow(std::span<const std::byte> prefix, std::uint64_t now_ns) noexcept {
    return buckets_ == nullptr || admit(bucket_of(prefix), now_ns);
  }
  [[nodiscard]] bool allow(std::string_view prefix, std::uint64_t now_ns) noexcept {
    return allow(std::as_bytes(std::span<const char>(prefix.data(), prefix.size())), now_ns);
  }

  // The bucket a prefix shares its cap in (0 for the disabled form).
  [[nodiscard]] std::size_t bucket_of(std::uint64_t prefix_key) const noexcept {
    return static_cast<std::size_t>(siphash13_u64(key_, prefix_key) >> 56);
  }
  [[nodiscard]] std::size_t bucket_of(std::span<const std::byte> prefix) const noexcept {
    return static_cast<std::size_t>(siphash13(key_, prefix) >> 56);
  }

  [[nodiscard]] bool enabled() const noexcept { return buckets_ != nullptr; }
  [[nodiscard]] std::uint64_t cap_per_window() const noexcept { return cap_; }
  [[nodiscard]] std::chrono::nanoseconds window() const noexcept {
    return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(window_.divisor()));
  }

 private:
  struct alignas(detail::CACHE_LINE_SIZE) Bucket {
    // (window number mod 2^32) << 32 | admitted count in that window.
    std::atomic<std::uint64_t> state{0};
  };

  PrefixRateCap(std::unique_ptr<Bucket[]> buckets, std::uint64_t cap, std::uint64_t window_ns,
                SipKey key) noexcept;

  [[nodiscard]] bool admit(std::size_t bucket, std::uint64_t now_ns) noexcept {
    const auto epoch = static_cast<std::uint32_t>(window_.divide(now_ns));
    std::atomic<std::uint64_t>& cell = buckets_[bucket].state;
    std::uint64_t seen = cell.load(std::memory_order_relaxed);
    for (;;) {
      const auto seen_epoch = static_cast<std::uint32_t>(seen >> 32);
      // Windows ahead of the bucket (or far behind it: a wrapped idle bucket) start a
      // new window; a slightly stale clock reading counts in the bucket's window.
      const std::uint32_t behind = seen_epoch - epoch;
      std::uint64_t next = 0;
      if (behind != 0 && behind > LATE_TOLERANCE_WINDOWS) {
        next = (static_cast<std::uint64_t>(epoch) << 32) | 1U;
      } else if ((seen & 0xffff'ffffULL) >= cap_) {
        return false;
      } else {
        next = seen + 1;
      }
      if (cell.compare_exchange_weak(seen, next, std::memory_order_relaxed,
                                     std::memory_order_relaxed)) {
        return true;
      }
    }
  }

  std::unique_ptr<Bucket[]> buckets_;  // BUCKETS entries, or null when disabled
  std::uint64_t cap_ = 0;
  detail::InvariantDivider window_{1};  // now_ns -> window number
  SipKey key_{};
};

}  // namespace anomstream::hotpath
