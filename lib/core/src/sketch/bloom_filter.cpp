#include "anomstream/sketch/bloom_filter.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <string>

#include "anomstream/core/secret_key.hpp"

namespace anomstream::sketch {
namespace {

struct Shape {
  std::uint64_t blocks;
  unsigned hashes;
};

constexpr std::uint64_t MAX_BLOCKS = BloomFilter::MAX_BITS / BloomFilter::BLOCK_BITS;

// The smallest block count with expected rate <= p at `hashes` probes, or 0 if even
// MAX_BLOCKS is not enough. The rate falls as blocks are added, so bisect.
std::uint64_t blocks_needed(std::uint64_t items, double p, unsigned hashes) noexcept {
  if (BloomFilter::expected_false_positive_rate(items, MAX_BLOCKS, hashes) > p) {
    return 0;
  }
  std::uint64_t lo = 1;
  std::uint64_t hi = MAX_BLOCKS;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (BloomFilter::expected_false_positive_rate(items, mid, hashes) <= p) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// Probe counts worth trying: the classic optimum round(log2(1/p)) and below (blocking
// favours fewer probes: at p = 1e-9 the best is 22, not 30), at most MAX_HASHES.
unsigned most_hashes(double p) noexcept {
  return std::min(BloomFilter::MAX_HASHES,
                  static_cast<unsigned>(std::max(1.0, std::round(std::log2(1.0 / p)))) + 1);
}

// The fewest blocks over the probe counts above (the smaller k on a tie), or none.
std::optional<Shape> best_shape(std::uint64_t items, double p) noexcept {
  std::optional<Shape> best;
  for (unsigned k = 1; k <= most_hashes(p); ++k) {
    const std::uint64_t blocks = blocks_needed(items, p, k);
    if (blocks != 0 && (!best || blocks < best->blocks)) {
      best = Shape{blocks, k};
    }
  }
  return best;
}

// Whether some probe count reaches p within MAX_BLOCKS.
bool fits(std::uint64_t items, double p) noexcept {
  for (unsigned k = 1; k <= most_hashes(p); ++k) {
    if (BloomFilter::expected_false_positive_rate(items, MAX_BLOCKS, k) <= p) {
      return true;
    }
  }
  return false;
}

// Errors name the field; a size past 2^32 bits names the largest n that fits.
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
  if (auto shape = best_shape(expected_items, false_positive_rate)) {
    return *shape;
  }
  std::uint64_t lo = 1;  // fits
  std::uint64_t hi = expected_items;  // does not
  while (hi - lo > 1) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    (fits(mid, false_positive_rate) ? lo : hi) = mid;
  }
  return fail(ErrorCode::invalid_config, "expected_items",
              "must be at most " + std::to_string(lo) + " at false_positive_rate " +
                  format_number(false_positive_rate) + " (the filter is limited to 2^32 bits)");
}

std::span<const std::byte> bytes_of(std::string_view text) noexcept {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace

double BloomFilter::expected_false_positive_rate(std::uint64_t items, std::uint64_t blocks,
                                                 unsigned hashes) noexcept {
  if (items == 0 || blocks == 0) {
    return items == 0 ? 0.0 : 1.0;
  }
  // Load per block ~ Poisson(lambda); the sum runs over lambda +- 14 standard deviations,
  // past which the terms are below 1e-40 of the total.
  const double lambda = static_cast<double>(items) / static_cast<double>(blocks);
  const double spread = 14.0 * std::sqrt(lambda) + 30.0;
  const auto first = static_cast<std::uint64_t>(std::max(0.0, std::floor(lambda - spread)));
  const auto last = static_cast<std::uint64_t>(std::ceil(lambda + spread));
  const double k = static_cast<double>(hashes);
  const double log_miss = std::log1p(-1.0 / BLOCK_BITS);  // one probe leaves a bit clear
  double rate = 0.0;
  for (std::uint64_t i = first; i <= last; ++i) {
    const double x = static_cast<double>(i);
    const double log_pmf = -lambda + x * std::log(lambda) - std::lgamma(x + 1.0);
    const double bit_set = -std::expm1(x * k * log_miss);
    rate += std::exp(log_pmf) * std::pow(bit_set, k);
  }
  return rate;
}

BloomFilter::BloomFilter(std::uint64_t expected_items, double false_positive_rate,
                         std::uint64_t blocks, unsigned hashes, SipKey key)
    : expected_items_(expected_items),
      false_positive_rate_(false_positive_rate),
      hashes_(hashes),
      key_(key),
      blocks_(static_cast<std::size_t>(blocks)) {}

Result<BloomFilter> BloomFilter::create(const BloomFilterConfig& config) {
  auto shape = shape_for(config.expected_items, config.false_positive_rate);
  if (!shape) {
    return std::unexpected(shape.error());
  }
  auto key = resolve_key(config.key);
  if (!key) {
    return std::unexpected(key.error());
  }
  return BloomFilter(config.expected_items, config.false_positive_rate, shape->blocks,
                     shape->hashes, *key);
}

Result<BloomFilter> BloomFilter::restore(const BloomFilterSnapshot& snapshot) {
  auto shape = shape_for(snapshot.expected_items, snapshot.false_positive_rate);
  if (!shape) {
    return fail(ErrorCode::corrupt_snapshot, shape.error().field, shape.error().bound);
  }
  BloomFilter filter(snapshot.expected_items, snapshot.false_positive_rate, shape->blocks,
                     shape->hashes, snapshot.key);
  const std::size_t words = filter.blocks_.size() * BLOCK_WORDS;
  if (snapshot.words.size() != words) {
    return fail(ErrorCode::corrupt_snapshot, "words",
                "length must be 8 * blocks = " + std::to_string(words) + " (got " +
                    std::to_string(snapshot.words.size()) + ")");
  }
  for (std::size_t b = 0; b < filter.blocks_.size(); ++b) {
    std::copy_n(snapshot.words.begin() + static_cast<std::ptrdiff_t>(b * BLOCK_WORDS),
                BLOCK_WORDS, filter.blocks_[b].words.begin());
  }
  filter.items_added_ = snapshot.items_added;
  return filter;
}

bool BloomFilter::add(std::string_view item) noexcept {
  return add_hash(siphash24(key_, bytes_of(item)));
}
bool BloomFilter::add(std::span<const std::byte> item) noexcept {
  return add_hash(siphash24(key_, item));
}

bool BloomFilter::contains(std::string_view item) const noexcept {
  return contains_hash(siphash24(key_, bytes_of(item)));
}
bool BloomFilter::contains(std::span<const std::byte> item) const noexcept {
  return contains_hash(siphash24(key_, item));
}

Status BloomFilter::merge(const BloomFilter& other) {
  if (other.blocks_.size() != blocks_.size() || other.hashes_ != hashes_) {
    return fail(ErrorCode::incompatible, "shape",
                "must be " + std::to_string(blocks_.size()) + " blocks, " +
                    std::to_string(hashes_) + " probes (got " +
                    std::to_string(other.blocks_.size()) + ", " + std::to_string(other.hashes_) +
                    ")");
  }
  if (other.key_ != key_) {
    return fail(ErrorCode::incompatible, "key", "must match");
  }
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    for (unsigned w = 0; w < BLOCK_WORDS; ++w) {
      blocks_[b].words[w] |= other.blocks_[b].words[w];
    }
  }
  items_added_ += other.items_added_;
  return {};
}

double BloomFilter::current_false_positive_rate() const noexcept {
  // Blocks with the same fill contribute the same term: count fills, then sum.
  std::array<std::uint64_t, BLOCK_BITS + 1> blocks_with_fill{};
  for (const Block& block : blocks_) {
    unsigned set = 0;
    for (const std::uint64_t word : block.words) {
      set += static_cast<unsigned>(std::popcount(word));
    }
    ++blocks_with_fill[set];
  }
  double rate = 0.0;
  for (unsigned set = 1; set <= BLOCK_BITS; ++set) {
    if (blocks_with_fill[set] != 0) {
      rate += static_cast<double>(blocks_with_fill[set]) *
              std::pow(static_cast<double>(set) / BLOCK_BITS, static_cast<double>(hashes_));
    }
  }
  return rate / static_cast<double>(blocks_.size());
}

std::size_t BloomFilter::memory_bytes() const noexcept {
  return sizeof(*this) + blocks_.capacity() * sizeof(Block);
}

BloomFilterSnapshot BloomFilter::snapshot() const {
  BloomFilterSnapshot snap{expected_items_, false_positive_rate_, key_, items_added_, {}};
  snap.words.reserve(blocks_.size() * BLOCK_WORDS);
  for (const Block& block : blocks_) {
    snap.words.insert(snap.words.end(), block.words.begin(), block.words.end());
  }
  return snap;
}

}  // namespace anomstream::sketch
