#pragma once
// CountMinSketch: approximate per-item counts over a stream, never under-counting.
//
// Cormode & Muthukrishnan, "An improved data stream summary: the count-min sketch and
// its applications", J. Algorithms 55(1), 2005. A depth x width array of counters; an
// item adds its weight to one counter per row and its estimate is the row minimum.
// With width = ceil(e / epsilon) and depth = ceil(ln(1 / delta)), for a stream of total
// weight N every estimate f^(x) satisfies f(x) <= f^(x), and f^(x) <= f(x) + epsilon*N
// with probability at least 1 - delta. Optional conservative update (Estan & Varghese,
// SIGCOMM 2002) raises only the counters below the new minimum: estimates stay upper
// bounds and never exceed the plain update's. One keyed SipHash-2-4 per item; row i
// uses h1 + i*h2 of its two 32-bit halves (Kirsch & Mitzenmacher 2006) reduced to
// [0, width) by multiply-shift. Memory 8*width*depth bytes (at most about 61 MB at the
// config bounds); update and estimate O(depth), no allocation. Limits: total weight
// must stay below 2^64 (counters wrap past it); merging conservative-update sketches
// gives valid upper bounds but not the sketch the concatenated stream would have built.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/siphash.hpp"

namespace anomstream::sketch {

struct CountMinSketchConfig {
  double epsilon = 0.001;  // additive error as a fraction of total weight, in [1e-5, 0.5]
  double delta = 0.01;     // probability an estimate exceeds that error, in [1e-12, 0.5]
  bool conservative_update = false;
  std::optional<SipKey> key;  // empty: drawn from the OS (see core/secret_key.hpp)
};

struct CountMinSketchSnapshot {
  double epsilon = 0;
  double delta = 0;
  bool conservative_update = false;
  SipKey key;
  std::uint64_t total = 0;
  std::vector<std::uint64_t> counters;  // row-major, depth rows of width counters
  friend bool operator==(const CountMinSketchSnapshot&, const CountMinSketchSnapshot&) = default;
};

class CountMinSketch {
 public:
  static constexpr double MIN_EPSILON = 1e-5;
  static constexpr double MAX_EPSILON = 0.5;
  static constexpr double MIN_DELTA = 1e-12;
  static constexpr double MAX_DELTA = 0.5;
  static constexpr std::size_t MAX_DEPTH = 28;  // ceil(ln(1 / MIN_DELTA))

  [[nodiscard]] static Result<CountMinSketch> create(const CountMinSketchConfig& config);
  // corrupt_snapshot if the config fields, counter count or row sums are inconsistent.
  [[nodiscard]] static Result<CountMinSketch> restore(const CountMinSketchSnapshot& snapshot);

  // Adds `weight` occurrences. A u64 item and its 8 little-endian bytes are one item.
  void update(std::uint64_t item, std::uint64_t weight = 1) noexcept;
  void update(std::string_view item, std::uint64_t weight = 1) noexcept;
  void update(std::span<const std::byte> item, std::uint64_t weight = 1) noexcept;

  // Upper bound on the item's total weight; within epsilon*total() w.p. >= 1 - delta.
  [[nodiscard]] std::uint64_t estimate(std::uint64_t item) const noexcept;
  [[nodiscard]] std::uint64_t estimate(std::string_view item) const noexcept;
  [[nodiscard]] std::uint64_t estimate(std::span<const std::byte> item) const noexcept;

  // Adds `other`'s counters. incompatible unless width, depth, update rule and key match.
  [[nodiscard]] Status merge(const CountMinSketch& other);

  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  // epsilon * total(): the additive error an estimate stays within w.p. >= 1 - delta.
  [[nodiscard]] double error_bound() const noexcept;
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  [[nodiscard]] std::size_t depth() const noexcept { return depth_; }
  [[nodiscard]] double epsilon() const noexcept { return epsilon_; }
  [[nodiscard]] double delta() const noexcept { return delta_; }
  [[nodiscard]] bool conservative_update() const noexcept { return conservative_; }
  [[nodiscard]] const SipKey& key() const noexcept { return key_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  [[nodiscard]] CountMinSketchSnapshot snapshot() const;

 private:
  CountMinSketch(double epsilon, double delta, bool conservative, SipKey key);
  void update_hash(std::uint64_t hash, std::uint64_t weight) noexcept;
  [[nodiscard]] std::uint64_t estimate_hash(std::uint64_t hash) const noexcept;
  [[nodiscard]] std::size_t column(std::uint64_t hash, std::size_t row) const noexcept;

  double epsilon_;
  double delta_;
  bool conservative_;
  SipKey key_;
  std::size_t width_;
  std::size_t depth_;
  std::uint64_t total_ = 0;
  std::vector<std::uint64_t> counters_;
};

}  // namespace anomstream::sketch
