#include "anomstream/sketch/bloom_filter.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <string>

#include "anomstream/sketch/sketch_key.hpp"

namespace anomstream::sketch {
namespace {

struct Shape {
  std::uint64_t bits;
  unsigned hashes;
};

// m = ceil(n ln(1/p) / ln(2)^2), k = round(log2(1/p)) >= 1; errors name the field.
Result<Shape> shape_for(std::uint64_t expected_items, double false_positive_rate) {
  if (auto s = require_in_range<std::uint64_t>(expected_items, 1, BloomFilter::MAX_EXPECTED_ITEMS,
                                               "expected_items");
      !s) {
    return std::unexpected(s.error());
  }
  if (auto s = require_in_range(false_positive_rate, BloomFilter::MIN_FALSE_POSITIVE_RATE,
                                BloomFilter::MAX_FALSE_POSITIVE_RATE, "false_positive_rate");
      !s) {
    return std::unexpected(s.error());
  }
  const double bits_per_item =
      std::log(1.0 / false_positive_rate) / (std::numbers::ln2 * std::numbers::ln2);
  const double bits = std::ceil(static_cast<double>(expected_items) * bits_per_item);
  if (bits > static_cast<double>(BloomFilter::MAX_BITS)) {
    const auto most = static_cast<std::uint64_t>(static_cast<double>(BloomFilter::MAX_BITS) /
                                                 bits_per_item);
    return fail(ErrorCode::invalid_config, "expected_items",
                "must be at most " + std::to_string(most) + " at false_positive_rate " +
                    format_number(false_positive_rate) + " (the filter is limited to 2^32 bits)");
  }
  const double k = std::round(std::log2(1.0 / false_positive_rate));
  return Shape{static_cast<std::uint64_t>(bits), static_cast<unsigned>(std::max(1.0, k))};
}

std::span<const std::byte> bytes_of(std::string_view text) noexcept {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace

BloomFilter::BloomFilter(std::uint64_t expected_items, double false_positive_rate,
                         std::uint64_t bits, unsigned hashes, SipKey key)
    : expected_items_(expected_items),
      false_positive_rate_(false_positive_rate),
      bits_(bits),
      hashes_(hashes),
      key_(key),
      words_(static_cast<std::size_t>((bits + 63) / 64), 0) {}

Result<BloomFilter> BloomFilter::create(const BloomFilterConfig& config) {
  auto shape = shape_for(config.expected_items, config.false_positive_rate);
  if (!shape) {
    return std::unexpected(shape.error());
  }
  auto key = resolve_key(config.key);
  if (!key) {
    return std::unexpected(key.error());
  }
  return BloomFilter(config.expected_items, config.false_positive_rate, shape->bits,
                     shape->hashes, *key);
}

Result<BloomFilter> BloomFilter::restore(const BloomFilterSnapshot& snapshot) {
  auto shape = shape_for(snapshot.expected_items, snapshot.false_positive_rate);
  if (!shape) {
    return fail(ErrorCode::corrupt_snapshot, shape.error().field, shape.error().bound);
  }
  BloomFilter filter(snapshot.expected_items, snapshot.false_positive_rate, shape->bits,
                     shape->hashes, snapshot.key);
  if (snapshot.words.size() != filter.words_.size()) {
    return fail(ErrorCode::corrupt_snapshot, "words",
                "length must be ceil(bits / 64) = " + std::to_string(filter.words_.size()) +
                    " (got " + std::to_string(snapshot.words.size()) + ")");
  }
  const unsigned tail = static_cast<unsigned>(filter.bits_ % 64);
  if (tail != 0 && (snapshot.words.back() >> tail) != 0) {
    return fail(ErrorCode::corrupt_snapshot, "words",
                "bits at or past bit_count = " + std::to_string(filter.bits_) + " must be 0");
  }
  filter.items_added_ = snapshot.items_added;
  filter.words_ = snapshot.words;
  return filter;
}

bool BloomFilter::add_hash(std::uint64_t hash) noexcept {
  ++items_added_;
  const auto h1 = static_cast<std::uint32_t>(hash);
  const auto h2 = static_cast<std::uint32_t>(hash >> 32);
  std::uint64_t changed = 0;
  for (unsigned i = 0; i < hashes_; ++i) {
    const std::uint32_t g = h1 + i * h2;
    const std::uint64_t bit = (static_cast<std::uint64_t>(g) * bits_) >> 32;
    std::uint64_t& word = words_[bit >> 6];
    const std::uint64_t mask = std::uint64_t{1} << (bit & 63);
    changed |= ~word & mask;
    word |= mask;
  }
  return changed != 0;
}

bool BloomFilter::contains_hash(std::uint64_t hash) const noexcept {
  const auto h1 = static_cast<std::uint32_t>(hash);
  const auto h2 = static_cast<std::uint32_t>(hash >> 32);
  for (unsigned i = 0; i < hashes_; ++i) {
    const std::uint32_t g = h1 + i * h2;
    const std::uint64_t bit = (static_cast<std::uint64_t>(g) * bits_) >> 32;
    if ((words_[bit >> 6] & (std::uint64_t{1} << (bit & 63))) == 0) {
      return false;
    }
  }
  return true;
}

bool BloomFilter::add(std::uint64_t item) noexcept { return add_hash(siphash_u64(key_, item)); }
bool BloomFilter::add(std::string_view item) noexcept {
  return add_hash(siphash24(key_, bytes_of(item)));
}
bool BloomFilter::add(std::span<const std::byte> item) noexcept {
  return add_hash(siphash24(key_, item));
}

bool BloomFilter::contains(std::uint64_t item) const noexcept {
  return contains_hash(siphash_u64(key_, item));
}
bool BloomFilter::contains(std::string_view item) const noexcept {
  return contains_hash(siphash24(key_, bytes_of(item)));
}
bool BloomFilter::contains(std::span<const std::byte> item) const noexcept {
  return contains_hash(siphash24(key_, item));
}

Status BloomFilter::merge(const BloomFilter& other) {
  if (other.bits_ != bits_ || other.hashes_ != hashes_) {
    return fail(ErrorCode::incompatible, "shape",
                "must be " + std::to_string(bits_) + " bits, " + std::to_string(hashes_) +
                    " probes (got " + std::to_string(other.bits_) + ", " +
                    std::to_string(other.hashes_) + ")");
  }
  if (other.key_ != key_) {
    return fail(ErrorCode::incompatible, "key", "must match");
  }
  for (std::size_t i = 0; i < words_.size(); ++i) {
    words_[i] |= other.words_[i];
  }
  items_added_ += other.items_added_;
  return {};
}

double BloomFilter::current_false_positive_rate() const noexcept {
  std::uint64_t set = 0;
  for (const std::uint64_t word : words_) {
    set += static_cast<std::uint64_t>(std::popcount(word));
  }
  const double fill = static_cast<double>(set) / static_cast<double>(bits_);
  return std::pow(fill, static_cast<double>(hashes_));
}

std::size_t BloomFilter::memory_bytes() const noexcept {
  return sizeof(*this) + words_.capacity() * sizeof(std::uint64_t);
}

BloomFilterSnapshot BloomFilter::snapshot() const {
  return BloomFilterSnapshot{expected_items_, false_positive_rate_, key_, items_added_, words_};
}

}  // namespace anomstream::sketch
