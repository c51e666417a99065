#pragma once
// BloomFilter: set membership with no false negatives and a chosen false-positive rate.
//
// Bloom, "Space/time trade-offs in hash coding with allowable errors", CACM 13(7), 1970,
// in the cache-blocked layout of Putze, Sanders & Singler, "Cache-, hash- and
// space-efficient Bloom filters" (WEA 2007): one keyed SipHash-2-4 of the item picks a
// 512-bit block (one 64-byte cache line), and all k probes fall inside it, so a query
// costs one hash and one cache-line read however large the filter is. As in Kirsch &
// Mitzenmacher ("Less hashing, same performance", ESA 2006) the k probes come from that
// one hash, not k hashes; but not as their g_i = h1 + i*h2: in a 512-bit block that
// progression has only about 2^18 distinct shapes, and two items sharing one collide on
// every probe (measured: 1.57x the target rate at p = 0.1%). Probe i instead takes the
// top 9 bits of hash * salt_i for fixed odd salts (multiply-shift, as Parquet's
// split-block filter), so shapes depend on all 64 hash bits.
//
// Blocking makes the load per block vary (Poisson), which raises the false-positive rate
// of a filter of a given size; so the size is not the classic n ln(1/p)/ln(2)^2 bits but
// the smallest block count b whose expected rate
//   sum_i Poisson(i; n/b) * (1 - (1 - 1/512)^(i k))^k
// is at most p, with k chosen (1 to round(log2(1/p)) + 1, at most 32) to minimise b. The
// overhead over the classic size is 3% at p = 1%, 8% at 0.1%, 34% at 1e-6 and 83% at 1e-9
// (the rate the layout can reach falls quickly below about 1e-6). contains() never
// answers false for an added item; the rate grows past p if more than n distinct items
// are added, and current_false_positive_rate() reports it from the per-block fill.
// Memory 64 bytes per block (at most 512 MiB: m <= 2^32 bits); add and contains O(k) on
// one cache line, no allocation. Merge is a bitwise OR (the filter of the union). Items
// cannot be removed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/siphash.hpp"

namespace anomstream::sketch {

struct BloomFilterConfig {
  std::uint64_t expected_items = 1'000'000;  // n, in [1, 2^32]; the bits it needs <= 2^32
  double false_positive_rate = 0.01;         // p, in [1e-9, 0.5]
  std::optional<SipKey> key;                 // empty: drawn from the OS (see core/secret_key.hpp)
};

struct BloomFilterSnapshot {
  std::uint64_t expected_items = 0;
  double false_positive_rate = 0;
  SipKey key;
  std::uint64_t items_added = 0;
  std::vector<std::uint64_t> words;  // 8 words a block, block after block; little-endian bits
  friend bool operator==(const BloomFilterSnapshot&, const BloomFilterSnapshot&) = default;
};

class BloomFilter {
 public:
  static constexpr std::uint64_t MAX_EXPECTED_ITEMS = std::uint64_t{1} << 32;
  static constexpr double MIN_FALSE_POSITIVE_RATE = 1e-9;
  static constexpr double MAX_FALSE_POSITIVE_RATE = 0.5;
  static constexpr std::uint64_t MAX_BITS = std::uint64_t{1} << 32;
  static constexpr unsigned BLOCK_BITS = 512;
  static constexpr unsigned BLOCK_WORDS = BLOCK_BITS / 64;
  static constexpr unsigned MAX_HASHES = 32;

  [[nodiscard]] static Result<BloomFilter> create(const BloomFilterConfig& config);
  // corrupt_snapshot if the config fields or word count are invalid.
  [[nodiscard]] static Result<BloomFilter> restore(const BloomFilterSnapshot& snapshot);

  // The expected false-positive rate of a filter of `blocks` blocks and `hashes` probes
  // holding `items` distinct items (the sum in the header comment).
  [[nodiscard]] static double expected_false_positive_rate(std::uint64_t items,
                                                           std::uint64_t blocks,
                                                           unsigned hashes) noexcept;

  // Inserts the item; returns true if it was certainly absent before (a bit changed).
  // A u64 item and its 8 little-endian bytes are one item.
  bool add(std::uint64_t item) noexcept { return add_hash(siphash24_u64(key_, item)); }
  bool add(std::string_view item) noexcept;
  bool add(std::span<const std::byte> item) noexcept;

  // False only if the item was never added.
  [[nodiscard]] bool contains(std::uint64_t item) const noexcept {
    return contains_hash(siphash24_u64(key_, item));
  }
  [[nodiscard]] bool contains(std::string_view item) const noexcept;
  [[nodiscard]] bool contains(std::span<const std::byte> item) const noexcept;

  // Bitwise OR. incompatible unless block count, probe count and key match.
  [[nodiscard]] Status merge(const BloomFilter& other);

  // The mean over blocks of (set bits in the block / 512)^k: the chance that an item never
  // added is reported present, given the filter as it is now. O(m/64).
  [[nodiscard]] double current_false_positive_rate() const noexcept;
  [[nodiscard]] std::uint64_t bit_count() const noexcept { return blocks_.size() * BLOCK_BITS; }
  [[nodiscard]] std::uint64_t block_count() const noexcept { return blocks_.size(); }
  [[nodiscard]] unsigned hash_count() const noexcept { return hashes_; }
  // Calls to add (not distinct items); a merge adds the other's.
  [[nodiscard]] std::uint64_t items_added() const noexcept { return items_added_; }
  [[nodiscard]] std::uint64_t expected_items() const noexcept { return expected_items_; }
  [[nodiscard]] double false_positive_rate() const noexcept { return false_positive_rate_; }
  [[nodiscard]] const SipKey& key() const noexcept { return key_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] BloomFilterSnapshot snapshot() const;

 private:
  struct alignas(64) Block {
    std::array<std::uint64_t, BLOCK_WORDS> words{};
  };
  BloomFilter(std::uint64_t expected_items, double false_positive_rate, std::uint64_t blocks,
              unsigned hashes, SipKey key);

  // Odd 64-bit multipliers, one per probe: probe i takes the top 9 bits of hash * salt_i
  // (multiply-shift hashing, as Parquet's split-block filter does with 32-bit salts).
  static constexpr std::array<std::uint64_t, MAX_HASHES> PROBE_SALTS = [] {
    std::array<std::uint64_t, MAX_HASHES> salts{};
    std::uint64_t state = 0x426c6f6f6d46696cULL;  // splitmix64 from a fixed seed
    for (auto& salt : salts) {
      std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      salt = (z ^ (z >> 31)) | 1;
    }
    return salts;
  }();

  // The block an item hashes to, from the hash's high half.
  [[nodiscard]] std::size_t block_of(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(((hash >> 32) * blocks_.size()) >> 32);
  }
  // Probe i's bit in the block, in [0, 512).
  [[nodiscard]] static unsigned bit_of(std::uint64_t hash, unsigned i) noexcept {
    return static_cast<unsigned>((hash * PROBE_SALTS[i]) >> 55);
  }
  bool add_hash(std::uint64_t hash) noexcept {
    ++items_added_;
    Block& block = blocks_[block_of(hash)];
    std::uint64_t changed = 0;
    for (unsigned i = 0; i < hashes_; ++i) {
      const unsigned bit = bit_of(hash, i);
      std::uint64_t& word = block.words[bit >> 6];
      const std::uint64_t mask = std::uint64_t{1} << (bit & 63);
      changed |= mask & ~word;
      word |= mask;
    }
    return changed != 0;
  }
  // No early exit: the k loads hit one cache line and are independent, so testing them
  // all costs less than a mispredicted branch.
  [[nodiscard]] bool contains_hash(std::uint64_t hash) const noexcept {
    const Block& block = blocks_[block_of(hash)];
    std::uint64_t all = 1;
    for (unsigned i = 0; i < hashes_; ++i) {
      const unsigned bit = bit_of(hash, i);
      all &= block.words[bit >> 6] >> (bit & 63);
    }
    return (all & 1) != 0;
  }

  std::uint64_t expected_items_;
  double false_positive_rate_;
  unsigned hashes_;
  SipKey key_;
  std::uint64_t items_added_ = 0;
  std::vector<Block> blocks_;
};

}  // namespace anomstream::sketch
