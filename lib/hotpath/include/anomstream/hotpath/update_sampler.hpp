#pragma once
// UpdateSampler: decides which observations also update the model (every observation is
// scored; only the sampled ones train it).
//
// Threat: an attacker who controls traffic should not be able to choose which of their
// flows train the model (MITRE ATLAS AML.T0020, poisoning training data). The keyed form
// selects a flow when SipHash-1-3 of its key, under a 128-bit per-instance secret from
// core's draw_secret_key (getrandom(2)), falls below rate * 2^64 (a consistent hash sample: a flow is either
// always or never sampled, and without the secret the attacker cannot tell which).
// The stride form selects every N-th call with one shared atomic counter, so several
// ingest threads may share one instance (each call is one relaxed fetch_add; the counter
// cache line is contended, so one instance per thread is faster and equally correct).
// The seeded form takes the key from the caller for hosts without an entropy source; it
// is only as unpredictable as that key is secret. Memory: one cache line for the counter
// plus the key. Time: one SipHash-1-3 of a u64 (7-11 ns measured) or of the key bytes, or one
// fetch_add and a division. No allocation, never throws after construction. Failure
// modes: `create`-style factories return invalid_config for stride 0 or a rate outside
// [0, 1]; `keyed` returns the drawer's io_error if the OS has no entropy source.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "anomstream/core/error.hpp"
#include "anomstream/core/siphash.hpp"
#include "anomstream/hotpath/detail/cache_line.hpp"

namespace anomstream::hotpath {

class UpdateSampler {
 public:
  enum class Mode : std::uint8_t { stride, keyed };

  // Every n-th call (n >= 1) updates: calls 0, n, 2n, ... counted across all threads.
  [[nodiscard]] static Result<UpdateSampler> every(std::uint64_t n);
  // A flow updates iff its keyed hash is below `rate` (in [0, 1]); secret from getrandom.
  [[nodiscard]] static Result<UpdateSampler> keyed(double rate);
  // As `keyed`, with the 128-bit secret supplied by the caller (no entropy source needed).
  [[nodiscard]] static Result<UpdateSampler> keyed_with_seeds(double rate, SipKey secret);

  UpdateSampler(UpdateSampler&& other) noexcept;
  UpdateSampler& operator=(UpdateSampler&& other) noexcept;
  UpdateSampler(const UpdateSampler&) = delete;
  UpdateSampler& operator=(const UpdateSampler&) = delete;
  ~UpdateSampler() = default;

  // Decision for a flow identified by a 64-bit key. Equal to the byte form over the
  // key's 8 little-endian bytes. Thread-safe.
  [[nodiscard]] bool should_update(std::uint64_t flow_key) noexcept {
    if (mode_ == Mode::stride) {
      return next_stride();
    }
    return (siphash13_u64(key_, flow_key) >> 1) < threshold_;
  }

  // Decision for a flow identified by bytes (e.g. a 5-tuple or tenant/stream name).
  [[nodiscard]] bool should_update(std::span<const std::byte> flow_key) noexcept {
    if (mode_ == Mode::stride) {
      return next_stride();
    }
    return (siphash13(key_, flow_key) >> 1) < threshold_;
  }

  [[nodiscard]] bool should_update(std::string_view flow_key) noexcept {
    return should_update(std::as_bytes(std::span<const char>(flow_key.data(), flow_key.size())));
  }

  [[nodiscard]] Mode mode() const noexcept { return mode_; }
  // The stride N (stride mode) or 0.
  [[nodiscard]] std::uint64_t stride() const noexcept { return stride_; }
  // The configured fraction: 1/N in stride mode, the rate in keyed mode.
  [[nodiscard]] double rate() const noexcept { return rate_; }

 private:
  UpdateSampler(Mode mode, std::uint64_t stride, double rate, SipKey key) noexcept;

  [[nodiscard]] bool next_stride() noexcept {
    return counter_.fetch_add(1, std::memory_order_relaxed) % stride_ == 0;
  }

  // Shared by every thread calling the stride form; on its own cache line so the
  // read-only fields below do not bounce with it.
  alignas(detail::CACHE_LINE_SIZE) std::atomic<std::uint64_t> counter_{0};
  alignas(detail::CACHE_LINE_SIZE) Mode mode_;
  std::uint64_t stride_;
  // Keyed mode: select iff (hash >> 1) < threshold_, threshold_ = rate * 2^63 in [0, 2^63].
  std::uint64_t threshold_;
  double rate_;
  SipKey key_;
};

}  // namespace anomstream::hotpath
