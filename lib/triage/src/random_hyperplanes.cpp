#include "anomstream/triage/random_hyperplanes.hpp"

#include <cmath>
#include <numbers>

namespace anomstream::triage {

namespace {

// (0, 1]: never 0, so the logarithm below is finite.
double open_uniform(std::uint64_t bits) noexcept {
  return (static_cast<double>(bits >> 11) + 1.0) * 0x1.0p-53;
}

}  // namespace

RandomHyperplanes::RandomHyperplanes(std::size_t dimension, std::size_t bits, const SipKey& key)
    : dimension_(dimension), bits_(bits), key_(key), normals_(dimension * bits) {
  for (std::size_t k = 0; k < normals_.size(); ++k) {
    const double u1 = open_uniform(siphash24_u64(key, 2 * k));
    const double u2 = open_uniform(siphash24_u64(key, 2 * k + 1));
    normals_[k] = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
}

Result<RandomHyperplanes> RandomHyperplanes::create(std::size_t dimension, std::size_t bits,
                                                    const SipKey& key) {
  if (auto ok = require_in_range<std::size_t>(dimension, 1, MAX_DIMENSION, "dimension"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range<std::size_t>(bits, 1, MAX_BITS, "bits"); !ok) {
    return std::unexpected(ok.error());
  }
  return RandomHyperplanes(dimension, bits, key);
}

Result<RandomHyperplanes> RandomHyperplanes::create(std::size_t dimension, std::size_t bits,
                                                    const std::optional<SipKey>& key,
                                                    const SecretKeyDrawer& drawer) {
  if (key) return create(dimension, bits, *key);
  if (auto checked = create(dimension, bits, SipKey{}); !checked) return checked;
  auto drawn = drawer();
  if (!drawn) return std::unexpected(drawn.error());
  return create(dimension, bits, *drawn);
}

Result<std::uint64_t> RandomHyperplanes::signature(std::span<const double> vector) const noexcept {
  if (auto ok = require_dimension(vector.size(), dimension_, "vector"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_finite(vector, "vector"); !ok) return std::unexpected(ok.error());
  std::uint64_t signature = 0;
  for (std::size_t i = 0; i < bits_; ++i) {
    const double* normal = normals_.data() + i * dimension_;
    double dot = 0.0;
    for (std::size_t j = 0; j < dimension_; ++j) dot += normal[j] * vector[j];
    signature |= static_cast<std::uint64_t>(dot >= 0.0) << i;
  }
  return signature;
}

}  // namespace anomstream::triage
