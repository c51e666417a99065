#include "anomstream/sketch/count_min_sketch.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "anomstream/core/secret_key.hpp"

namespace anomstream::sketch {
namespace {

__extension__ using uint128 = unsigned __int128;

std::size_t width_for(double epsilon) {
  return static_cast<std::size_t>(std::ceil(std::numbers::e / epsilon));
}

std::size_t depth_for(double delta) {
  return static_cast<std::size_t>(std::ceil(std::log(1.0 / delta)));
}

Status validate(double epsilon, double delta) {
  if (auto s = require_in_range(epsilon, CountMinSketch::MIN_EPSILON, CountMinSketch::MAX_EPSILON,
                                "epsilon");
      !s) {
    return s;
  }
  return require_in_range(delta, CountMinSketch::MIN_DELTA, CountMinSketch::MAX_DELTA, "delta");
}

std::span<const std::byte> bytes_of(std::string_view text) noexcept {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace

CountMinSketch::CountMinSketch(double epsilon, double delta, bool conservative, SipKey key)
    : epsilon_(epsilon),
      delta_(delta),
      conservative_(conservative),
      key_(key),
      width_(width_for(epsilon)),
      depth_(std::max<std::size_t>(1, depth_for(delta))),
      counters_(width_ * depth_, 0) {}

Result<CountMinSketch> CountMinSketch::create(const CountMinSketchConfig& config) {
  if (auto s = validate(config.epsilon, config.delta); !s) {
    return std::unexpected(s.error());
  }
  auto key = resolve_key(config.key);
  if (!key) {
    return std::unexpected(key.error());
  }
  return CountMinSketch(config.epsilon, config.delta, config.conservative_update, *key);
}

Result<CountMinSketch> CountMinSketch::restore(const CountMinSketchSnapshot& snapshot) {
  if (auto s = validate(snapshot.epsilon, snapshot.delta); !s) {
    return fail(ErrorCode::corrupt_snapshot, s.error().field, s.error().bound);
  }
  CountMinSketch sketch(snapshot.epsilon, snapshot.delta, snapshot.conservative_update,
                        snapshot.key);
  if (snapshot.counters.size() != sketch.counters_.size()) {
    return fail(ErrorCode::corrupt_snapshot, "counters",
                "length must be width*depth = " + std::to_string(sketch.counters_.size()) +
                    " (got " + std::to_string(snapshot.counters.size()) + ")");
  }
  // Plain update adds every weight to exactly one counter per row, so each row sums to
  // the total; conservative update adds at most the weight per row.
  for (std::size_t row = 0; row < sketch.depth_; ++row) {
    const auto first = snapshot.counters.begin() + static_cast<std::ptrdiff_t>(row * sketch.width_);
    uint128 sum = 0;
    for (auto it = first; it != first + static_cast<std::ptrdiff_t>(sketch.width_); ++it) {
      sum += *it;
    }
    const bool ok = snapshot.conservative_update ? sum <= snapshot.total : sum == snapshot.total;
    if (!ok) {
      return fail(ErrorCode::corrupt_snapshot, "counters",
                  "row " + std::to_string(row) + " must sum to " +
                      (snapshot.conservative_update ? "at most " : "") + "total");
    }
  }
  sketch.total_ = snapshot.total;
  sketch.counters_ = snapshot.counters;
  return sketch;
}

std::size_t CountMinSketch::column(std::uint64_t hash, std::size_t row) const noexcept {
  const auto h1 = static_cast<std::uint32_t>(hash);
  const auto h2 = static_cast<std::uint32_t>(hash >> 32);
  const std::uint32_t g = h1 + static_cast<std::uint32_t>(row) * h2;
  // Multiply-shift maps a 32-bit value onto [0, width) without a division (Lemire 2019).
  return static_cast<std::size_t>((static_cast<std::uint64_t>(g) * width_) >> 32);
}

void CountMinSketch::update_hash(std::uint64_t hash, std::uint64_t weight) noexcept {
  total_ += weight;
  std::uint64_t* base = counters_.data();
  if (!conservative_) {
    for (std::size_t row = 0; row < depth_; ++row, base += width_) {
      base[column(hash, row)] += weight;
    }
    return;
  }
  std::array<std::uint64_t*, MAX_DEPTH> cells{};
  std::uint64_t lowest = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t row = 0; row < depth_; ++row, base += width_) {
    cells[row] = base + column(hash, row);
    lowest = std::min(lowest, *cells[row]);
  }
  const std::uint64_t target = lowest + weight;
  for (std::size_t row = 0; row < depth_; ++row) {
    *cells[row] = std::max(*cells[row], target);
  }
}

std::uint64_t CountMinSketch::estimate_hash(std::uint64_t hash) const noexcept {
  std::uint64_t lowest = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t* base = counters_.data();
  for (std::size_t row = 0; row < depth_; ++row, base += width_) {
    lowest = std::min(lowest, base[column(hash, row)]);
  }
  return lowest;
}

void CountMinSketch::update(std::uint64_t item, std::uint64_t weight) noexcept {
  update_hash(siphash24_u64(key_, item), weight);
}
void CountMinSketch::update(std::string_view item, std::uint64_t weight) noexcept {
  update_hash(siphash24(key_, bytes_of(item)), weight);
}
void CountMinSketch::update(std::span<const std::byte> item, std::uint64_t weight) noexcept {
  update_hash(siphash24(key_, item), weight);
}

std::uint64_t CountMinSketch::estimate(std::uint64_t item) const noexcept {
  return estimate_hash(siphash24_u64(key_, item));
}
std::uint64_t CountMinSketch::estimate(std::string_view item) const noexcept {
  return estimate_hash(siphash24(key_, bytes_of(item)));
}
std::uint64_t CountMinSketch::estimate(std::span<const std::byte> item) const noexcept {
  return estimate_hash(siphash24(key_, item));
}

Status CountMinSketch::merge(const CountMinSketch& other) {
  if (other.width_ != width_ || other.depth_ != depth_) {
    return fail(ErrorCode::incompatible, "shape",
                "must be " + std::to_string(depth_) + "x" + std::to_string(width_) + " (got " +
                    std::to_string(other.depth_) + "x" + std::to_string(other.width_) + ")");
  }
  if (other.conservative_ != conservative_) {
    return fail(ErrorCode::incompatible, "conservative_update", "must match");
  }
  if (other.key_ != key_) {
    return fail(ErrorCode::incompatible, "key", "must match");
  }
  for (std::size_t i = 0; i < counters_.size(); ++i) {
    counters_[i] += other.counters_[i];
  }
  total_ += other.total_;
  return {};
}

double CountMinSketch::error_bound() const noexcept {
  return epsilon_ * static_cast<double>(total_);
}

std::size_t CountMinSketch::memory_bytes() const noexcept {
  return sizeof(*this) + counters_.capacity() * sizeof(std::uint64_t);
}

CountMinSketchSnapshot CountMinSketch::snapshot() const {
  return CountMinSketchSnapshot{epsilon_, delta_, conservative_, key_, total_, counters_};
}

}  // namespace anomstream::sketch
