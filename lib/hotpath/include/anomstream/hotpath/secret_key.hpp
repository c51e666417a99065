#pragma once
// A 128-bit SipHash key drawn from the operating system's entropy source.
//
// The sampler and the rate cap key their hashes with a per-instance secret so that an
// attacker who controls flow keys and prefixes cannot predict which flows train the model
// or which bucket a prefix shares. `draw_secret_key` reads 16 bytes with getrandom(2)
// (blocking only until the kernel pool is first initialised, retrying on EINTR and short
// reads). Failure mode: no entropy source (seccomp filter, very old kernel) returns an
// io_error naming "getrandom"; callers then use the caller-seeded constructors.

#include "anomstream/core/error.hpp"
#include "anomstream/core/siphash.hpp"

namespace anomstream::hotpath {

[[nodiscard]] Result<SipKey> draw_secret_key();

}  // namespace anomstream::hotpath
