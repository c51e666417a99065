#pragma once
// Where a sketch's secret hash key comes from.
//
// Every sketch hashes items with a per-instance 128-bit SipKey so that whoever chooses
// the items cannot predict which counter, register or bit an item lands in, and so
// cannot aim many items at one bucket. A config either supplies the key (tests and
// replays derive it from a seed with `key_from_seed`; sketches that must be merged share
// one key) or leaves it empty, and `create` draws a fresh one from the kernel with
// getrandom(2). The key is part of a sketch's snapshot: a snapshot is as secret as the
// key it carries.

#include <cstdint>
#include <optional>

#include "anomstream/core/error.hpp"
#include "anomstream/core/siphash.hpp"

namespace anomstream::sketch {

// Deterministic key: the first two outputs of xoshiro256** seeded with `seed`
// (SplitMix64 expansion), so distinct seeds give unrelated keys. For tests and replays
// only: a seed an attacker can guess gives them the key.
[[nodiscard]] SipKey key_from_seed(std::uint64_t seed) noexcept;

// 128 bits from the kernel CSPRNG (getrandom(2), retried on EINTR and short reads).
// Fails with io_error, field "key", if the kernel refuses.
[[nodiscard]] Result<SipKey> key_from_os();

// `configured` if set, else a fresh key from key_from_os().
[[nodiscard]] Result<SipKey> resolve_key(const std::optional<SipKey>& configured);

}  // namespace anomstream::sketch
