#include "anomstream/sketch/hyper_log_log.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "anomstream/core/secret_key.hpp"

namespace anomstream::sketch {
namespace {

// Ertl 2017, sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1): the small-range correction
// applied to the fraction of zero registers. sigma(1) diverges (all registers
// zero means nothing was added).
double sigma(double x) noexcept {
  if (x == 1.0) {
    return std::numeric_limits<double>::infinity();
  }
  double y = 1.0;
  double z = x;
  double previous = 0.0;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

// Ertl 2017: tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, the large-range
// correction applied to the fraction of saturated registers.
double tau(double x) noexcept {
  if (x == 0.0 || x == 1.0) {
    return 0.0;
  }
  double y = 1.0;
  double z = 1.0 - x;
  double previous = 0.0;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != previous);
  return z / 3.0;
}

std::span<const std::byte> bytes_of(std::string_view text) noexcept {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace

HyperLogLog::HyperLogLog(int precision, SipKey key)
    : precision_(precision), key_(key), registers_(std::size_t{1} << precision, 0) {}

Result<HyperLogLog> HyperLogLog::create(const HyperLogLogConfig& config) {
  if (auto s = require_in_range(config.precision, MIN_PRECISION, MAX_PRECISION, "precision");
      !s) {
    return std::unexpected(s.error());
  }
  auto key = resolve_key(config.key);
  if (!key) {
    return std::unexpected(key.error());
  }
  return HyperLogLog(config.precision, *key);
}

Result<HyperLogLog> HyperLogLog::restore(const HyperLogLogSnapshot& snapshot) {
  if (auto s = require_in_range(snapshot.precision, MIN_PRECISION, MAX_PRECISION, "precision");
      !s) {
    return fail(ErrorCode::corrupt_snapshot, s.error().field, s.error().bound);
  }
  HyperLogLog sketch(snapshot.precision, snapshot.key);
  if (snapshot.registers.size() != sketch.registers_.size()) {
    return fail(ErrorCode::corrupt_snapshot, "registers",
                "length must be 2^precision = " + std::to_string(sketch.registers_.size()) +
                    " (got " + std::to_string(snapshot.registers.size()) + ")");
  }
  const auto max_rank = static_cast<std::uint8_t>(65 - snapshot.precision);
  for (std::size_t i = 0; i < snapshot.registers.size(); ++i) {
    if (snapshot.registers[i] > max_rank) {
      return fail(ErrorCode::corrupt_snapshot, "registers[" + std::to_string(i) + "]",
                  "must be at most 65 - precision = " + std::to_string(max_rank) + " (got " +
                      std::to_string(snapshot.registers[i]) + ")");
    }
  }
  sketch.registers_ = snapshot.registers;
  return sketch;
}

void HyperLogLog::add(std::string_view item) noexcept {
  add_hash(siphash13(key_, bytes_of(item)));
}
void HyperLogLog::add(std::span<const std::byte> item) noexcept {
  add_hash(siphash13(key_, item));
}

double HyperLogLog::estimate() const noexcept {
  // Ertl 2017, Algorithm 6 ("improved raw estimator") over the register histogram.
  const int q = 64 - precision_;
  std::array<std::uint32_t, 66> histogram{};
  for (const std::uint8_t r : registers_) {
    ++histogram[r];
  }
  const auto m = static_cast<double>(registers_.size());
  double z = m * tau(1.0 - static_cast<double>(histogram[static_cast<std::size_t>(q + 1)]) / m);
  for (int k = q; k >= 1; --k) {
    z = 0.5 * (z + static_cast<double>(histogram[static_cast<std::size_t>(k)]));
  }
  z += m * sigma(static_cast<double>(histogram[0]) / m);
  constexpr double ALPHA_INF = 1.0 / (2.0 * std::numbers::ln2);
  return ALPHA_INF * m * m / z;
}

double HyperLogLog::relative_standard_error() const noexcept {
  return 1.04 / std::sqrt(static_cast<double>(registers_.size()));
}

Status HyperLogLog::merge(const HyperLogLog& other) {
  if (other.precision_ != precision_) {
    return fail(ErrorCode::incompatible, "precision",
                "must be " + std::to_string(precision_) + " (got " +
                    std::to_string(other.precision_) + ")");
  }
  if (other.key_ != key_) {
    return fail(ErrorCode::incompatible, "key", "must match");
  }
  for (std::size_t i = 0; i < registers_.size(); ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
  return {};
}

std::size_t HyperLogLog::memory_bytes() const noexcept {
  return sizeof(*this) + registers_.capacity();
}

HyperLogLogSnapshot HyperLogLog::snapshot() const {
  return HyperLogLogSnapshot{precision_, key_, registers_};
}

}  // namespace anomstream::sketch
