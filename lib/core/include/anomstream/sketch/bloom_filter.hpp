#pragma once
// BloomFilter: set membership with no false negatives and a chosen false-positive rate.
//
// Bloom, "Space/time trade-offs in hash coding with allowable errors", CACM 13(7), 1970,
// with the k probe positions derived from one hash as g_i = h1 + i*h2 (Kirsch &
// Mitzenmacher, "Less hashing, same performance: building a better Bloom filter",
// ESA 2006), h1 and h2 being the two 32-bit halves of one keyed SipHash-2-4, reduced to
// [0, m) by multiply-shift. Sized from the expected item count n and target rate p as
// m = ceil(n ln(1/p) / ln(2)^2) bits and k = round(log2(1/p)) probes, which gives a
// false-positive rate of about p after n distinct adds (it grows past p if more are
// added: current_false_positive_rate() reports it from the fill). contains() never
// answers false for an added item. Memory m/8 bytes (at most 512 MiB: m <= 2^32);
// add and contains O(k), no allocation. Merge is a bitwise OR (the filter of the union).
// Items cannot be removed.

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
  std::uint64_t expected_items = 1'000'000;  // n, in [1, 2^32]; m = n * bits per item <= 2^32
  double false_positive_rate = 0.01;         // p, in [1e-9, 0.5]
  std::optional<SipKey> key;                 // empty: drawn from the OS (see sketch_key.hpp)
};

struct BloomFilterSnapshot {
  std::uint64_t expected_items = 0;
  double false_positive_rate = 0;
  SipKey key;
  std::uint64_t items_added = 0;
  std::vector<std::uint64_t> words;  // the m bits, little-endian within each word
  friend bool operator==(const BloomFilterSnapshot&, const BloomFilterSnapshot&) = default;
};

class BloomFilter {
 public:
  static constexpr std::uint64_t MAX_EXPECTED_ITEMS = std::uint64_t{1} << 32;
  static constexpr double MIN_FALSE_POSITIVE_RATE = 1e-9;
  static constexpr double MAX_FALSE_POSITIVE_RATE = 0.5;
  static constexpr std::uint64_t MAX_BITS = std::uint64_t{1} << 32;

  [[nodiscard]] static Result<BloomFilter> create(const BloomFilterConfig& config);
  // corrupt_snapshot if the config fields or word count are invalid or bits past m are set.
  [[nodiscard]] static Result<BloomFilter> restore(const BloomFilterSnapshot& snapshot);

  // Inserts the item; returns true if it was certainly absent before (a bit changed).
  // A u64 item and its 8 little-endian bytes are one item.
  bool add(std::uint64_t item) noexcept;
  bool add(std::string_view item) noexcept;
  bool add(std::span<const std::byte> item) noexcept;

  // False only if the item was never added.
  [[nodiscard]] bool contains(std::uint64_t item) const noexcept;
  [[nodiscard]] bool contains(std::string_view item) const noexcept;
  [[nodiscard]] bool contains(std::span<const std::byte> item) const noexcept;

  // Bitwise OR. incompatible unless bit count, probe count and key match.
  [[nodiscard]] Status merge(const BloomFilter& other);

  // (set bits / m)^k: the chance that an item never added is reported present. O(m/64).
  [[nodiscard]] double current_false_positive_rate() const noexcept;
  [[nodiscard]] std::uint64_t bit_count() const noexcept { return bits_; }
  [[nodiscard]] unsigned hash_count() const noexcept { return hashes_; }
  // Calls to add (not distinct items); a merge adds the other's.
  [[nodiscard]] std::uint64_t items_added() const noexcept { return items_added_; }
  [[nodiscard]] std::uint64_t expected_items() const noexcept { return expected_items_; }
  [[nodiscard]] double false_positive_rate() const noexcept { return false_positive_rate_; }
  [[nodiscard]] const SipKey& key() const noexcept { return key_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] BloomFilterSnapshot snapshot() const;

 private:
  BloomFilter(std::uint64_t expected_items, double false_positive_rate, std::uint64_t bits,
              unsigned hashes, SipKey key);
  bool add_hash(std::uint64_t hash) noexcept;
  [[nodiscard]] bool contains_hash(std::uint64_t hash) const noexcept;

  std::uint64_t expected_items_;
  double false_positive_rate_;
  std::uint64_t bits_;
  unsigned hashes_;
  SipKey key_;
  std::uint64_t items_added_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace anomstream::sketch
