#pragma once
// RandomHyperplanes: the b-bit random-hyperplane signature of a vector (Charikar,
// "Similarity estimation techniques from rounding algorithms", STOC 2002). Bit i is 1
// when r_i . v >= 0 for the i-th of b hyperplane normals r_i with independent standard
// normal components, so two vectors at angle theta agree on each bit with probability
// 1 - theta / pi, independently across bits: P(same signature) = (1 - theta / pi)^b.
//
// The normals are drawn from a SipHash-2-4 key (component j of normal i comes from the
// hashes of 2 (i d + j) and 2 (i d + j) + 1 turned into two uniforms and a Box-Muller
// normal), so they are a function of the key alone: with a secret key (secret_key.hpp)
// someone who chooses the vectors cannot predict signatures, and so cannot make chosen
// vectors collide or keep similar ones apart.
// Memory: 8 b d bytes of normals. Time: O(b d) per signature, no allocation.
// Errors: create() rejects dimension outside [1, MAX_DIMENSION] or bits outside
// [1, MAX_BITS] (invalid_config) and passes on a failed key draw (io_error); signature() rejects a wrong length
// (dimension_mismatch) or non-finite values (non_finite).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/core/siphash.hpp"

namespace anomstream::triage {

class RandomHyperplanes {
 public:
  static constexpr std::size_t MAX_DIMENSION = 4096;
  static constexpr std::size_t MAX_BITS = 64;

  [[nodiscard]] static Result<RandomHyperplanes> create(std::size_t dimension, std::size_t bits,
                                                        const SipKey& key);
  // With `key`, or a fresh key from `drawer` (after the sizes are checked) when unset;
  // key() tells which.
  [[nodiscard]] static Result<RandomHyperplanes> create(std::size_t dimension, std::size_t bits,
                                                        const std::optional<SipKey>& key,
                                                        const SecretKeyDrawer& drawer);

  // The b-bit signature, bit i in position i.
  [[nodiscard]] Result<std::uint64_t> signature(std::span<const double> vector) const noexcept;

  [[nodiscard]] std::size_t dimension() const noexcept { return dimension_; }
  [[nodiscard]] std::size_t bits() const noexcept { return bits_; }
  [[nodiscard]] const SipKey& key() const noexcept { return key_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return 8 * normals_.size(); }

 private:
  RandomHyperplanes(std::size_t dimension, std::size_t bits, const SipKey& key);

  std::size_t dimension_;
  std::size_t bits_;
  SipKey key_;
  std::vector<double> normals_;  // b rows of d
};

}  // namespace anomstream::triage
