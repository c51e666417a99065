#pragma once
// Where every SipHash key comes from: the one drawer the sketches, the hot path and the
// daemon use.
//
// A keyed structure either takes its key from the caller (tests and replays derive one
// with `key_from_seed`; sketches that will be merged share one) or draws a fresh secret
// with `draw_secret_key`: 16 bytes from the kernel CSPRNG through getrandom(2), retried
// on EINTR and short reads, blocking only until the kernel's pool is first initialised
// at boot. There is no fallback: a key that is fixed, derived from the time or from a
// guessable seed would hand an attacker who chooses the hashed inputs (flow keys,
// tenant and stream names, sketch items) the key, so when the kernel refuses the draw
// fails and the caller fails its construction; the daemon fails its start.
//
// Time: one getrandom(2) call (about a microsecond).
// Errors: io_error, field "secret_key", with the source's errno (e.g. ENOSYS under a
// seccomp filter or on a kernel without getrandom), or a source that returns no bytes.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "anomstream/core/error.hpp"
#include "anomstream/core/siphash.hpp"

namespace anomstream {

// Fills a prefix of `buffer` with entropy: the number of bytes written (>= 1), or
// -errno on failure (-EINTR is retried). getrandom(2)'s contract with errno folded into
// the result, so a test can stand in for the kernel.
using EntropySource = std::function<std::ptrdiff_t(std::span<std::byte> buffer)>;

// Draws secret keys. Components that build several keyed structures (the daemon) take
// one, defaulting to draw_secret_key, so a test can count the draws or make one fail.
using SecretKeyDrawer = std::function<Result<SipKey>()>;

// 128 bits from getrandom(2).
[[nodiscard]] Result<SipKey> draw_secret_key();
// 128 bits from `source`: the same loop as draw_secret_key, for tests.
[[nodiscard]] Result<SipKey> draw_secret_key_from(const EntropySource& source);

// `configured` if set, else a fresh key from draw_secret_key().
[[nodiscard]] Result<SipKey> resolve_key(const std::optional<SipKey>& configured);

// Deterministic key: the first two outputs of xoshiro256** seeded with `seed`
// (SplitMix64 expansion), so distinct seeds give unrelated keys. For tests and replays
// only: a seed an attacker can guess gives them the key.
[[nodiscard]] SipKey key_from_seed(std::uint64_t seed) noexcept;

}  // namespace anomstream
