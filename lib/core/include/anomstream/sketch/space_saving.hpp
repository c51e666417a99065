#pragma once
// SpaceSaving<Item>: the heavy hitters of a stream, with a guaranteed error per counter.
//
// Metwally, Agrawal & El Abbadi, "Efficient computation of frequent and top-k elements
// in data streams", ICDT 2005. K = capacity counters; an unmonitored item takes over the
// counter with the smallest count c_min, inheriting it as its error. For a stream of
// total weight N every monitored item x has count - error <= f(x) <= count with
// error <= min_count() <= N/K, and every item with f(x) > min_count() (in particular
// every item with f(x) > N/K) is monitored. Merging (Agarwal et al., "Mergeable
// summaries", PODS 2012; Cafaro et al. 2016) adds counters, charges an item missing from
// one side that side's min_count as count and error, and keeps the K largest: the same
// guarantees then hold for the concatenated stream. The counters live in K preallocated
// slots: a binary min-heap on count finds the eviction victim and a keyed-hash index
// (slot_index.hpp) finds an item's slot, so an update costs one SipHash-2-4 plus
// O(log K) heap moves (O(1) for the common cases: a counter at a leaf, or a new item
// tied with the minimum). Memory at most K * (sizeof(Item) + 100) bytes, plus
// K * max_item_bytes for std::string items; nothing is allocated after create.
// Item is std::uint64_t, another trivially copyable type compared by its bytes (a
// fixed-size address or flow key), or std::string, whose items may not exceed
// max_item_bytes (update returns false for a longer one). Ties at the minimum are
// broken by heap position, so results are deterministic for a given key and input.
// Limit: total weight must stay below 2^64.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/core/siphash.hpp"
#include "anomstream/sketch/slot_index.hpp"

namespace anomstream::sketch {

template <class Item>
concept SpaceSavingItem =
    std::same_as<Item, std::string> ||
    (std::is_trivially_copyable_v<Item> && std::has_unique_object_representations_v<Item> &&
     std::equality_comparable<Item> && std::default_initializable<Item>);

struct SpaceSavingConfig {
  std::size_t capacity = 1024;      // K counters, in [1, 2^24]
  std::size_t max_item_bytes = 64;  // longest std::string item, in [1, 4096]; K * it <= 2^30
  std::optional<SipKey> key;        // empty: drawn from the OS (see core/secret_key.hpp)
};

template <class Item>
struct SpaceSavingCounter {
  Item item{};
  std::uint64_t count = 0;  // upper bound on the item's weight
  std::uint64_t error = 0;  // count - error is a lower bound
  [[nodiscard]] std::uint64_t lower_bound() const noexcept { return count - error; }
  friend bool operator==(const SpaceSavingCounter&, const SpaceSavingCounter&) = default;
};

template <class Item>
struct SpaceSavingSnapshot {
  std::size_t capacity = 0;
  std::size_t max_item_bytes = 0;
  SipKey key;
  std::uint64_t total = 0;
  std::vector<SpaceSavingCounter<Item>> counters;  // in heap order: a valid min-heap on count
  friend bool operator==(const SpaceSavingSnapshot&, const SpaceSavingSnapshot&) = default;
};

// [lower, upper] bounds on one item's total weight.
struct FrequencyBounds {
  std::uint64_t lower = 0;
  std::uint64_t upper = 0;
  friend bool operator==(const FrequencyBounds&, const FrequencyBounds&) = default;
};

namespace detail {

// Fixed-size items: stored by value, hashed over their object bytes.
template <class Item>
struct SpaceSavingItemTraits {
  using View = std::conditional_t<(sizeof(Item) <= 16), Item, const Item&>;
  static std::uint64_t hash(const SipKey& key, View item) noexcept {
    if constexpr (std::is_same_v<Item, std::uint64_t>) {
      return siphash24_u64(key, item);
    } else {
      return siphash24(key, std::as_bytes(std::span<const Item, 1>(&item, 1)));
    }
  }
  static bool fits(View /*item*/, std::size_t /*max_bytes*/) noexcept { return true; }
  static void reserve(Item& /*slot*/, std::size_t /*max_bytes*/) {}
  static void assign(Item& slot, View item) noexcept { slot = item; }
  static bool equal(const Item& slot, View item) noexcept { return slot == item; }
  static View view(const Item& item) noexcept { return item; }
  static std::size_t heap_bytes(const Item& /*slot*/) noexcept { return 0; }
};

// Byte-string items: each slot's string is reserved to max_item_bytes at creation, so
// assigning an item that fits never allocates.
template <>
struct SpaceSavingItemTraits<std::string> {
  using View = std::string_view;
  static std::uint64_t hash(const SipKey& key, View item) noexcept { return siphash24(key, item); }
  static bool fits(View item, std::size_t max_bytes) noexcept { return item.size() <= max_bytes; }
  static void reserve(std::string& slot, std::size_t max_bytes) { slot.reserve(max_bytes); }
  static void assign(std::string& slot, View item) noexcept { slot.assign(item.data(), item.size()); }
  static bool equal(const std::string& slot, View item) noexcept { return View(slot) == item; }
  static View view(const std::string& item) noexcept { return item; }
  static std::size_t heap_bytes(const std::string& slot) noexcept {
    const auto* self = reinterpret_cast<const char*>(&slot);
    const std::less<const char*> before;
    const bool inline_buffer = !before(slot.data(), self) && before(slot.data(), self + sizeof slot);
    return inline_buffer ? 0 : slot.capacity() + 1;
  }
};

}  // namespace detail

template <SpaceSavingItem Item>
class SpaceSaving {
  using Traits = detail::SpaceSavingItemTraits<Item>;

 public:
  using View = typename Traits::View;
  using Counter = SpaceSavingCounter<Item>;
  using Snapshot = SpaceSavingSnapshot<Item>;

  static constexpr std::size_t MAX_CAPACITY = std::size_t{1} << 24;
  static constexpr std::size_t MAX_ITEM_BYTES = 4096;
  static constexpr std::size_t MAX_STRING_BYTES = std::size_t{1} << 30;

  [[nodiscard]] static Result<SpaceSaving> create(const SpaceSavingConfig& config) {
    if (auto s = validate(config.capacity, config.max_item_bytes); !s) {
      return std::unexpected(s.error());
    }
    auto key = resolve_key(config.key);
    if (!key) {
      return std::unexpected(key.error());
    }
    return SpaceSaving(config.capacity, config.max_item_bytes, *key);
  }

  // corrupt_snapshot unless the counters are distinct items forming a min-heap on count,
  // each with error < count, whose counts sum to at most the total (exactly, with all
  // errors zero, while fewer than K items are monitored), and no error exceeds the
  // minimum count.
  [[nodiscard]] static Result<SpaceSaving> restore(const Snapshot& snapshot);

  // Adds `weight` occurrences of `item`. Returns false, counting nothing, only for a
  // std::string item longer than max_item_bytes.
  bool update(View item, std::uint64_t weight = 1) noexcept {
    if (!Traits::fits(item, max_item_bytes_)) {
      return false;
    }
    if (weight == 0) {
      return true;
    }
    const std::uint64_t hash = Traits::hash(key_, item);
    total_ += weight;
    std::uint32_t slot = find(hash, item);
    if (slot != detail::SlotIndex::NONE) {
      const std::size_t at = position_[slot];
      heap_[at].count += weight;
      sift_down(at);
      return true;
    }
    if (size_ < capacity_) {
      slot = static_cast<std::uint32_t>(size_);
      Traits::assign(items_[slot], item);
      errors_[slot] = 0;
      hashes_[slot] = hash;
      heap_[size_] = HeapNode{weight, slot};
      position_[slot] = static_cast<std::uint32_t>(size_);
      ++size_;
      sift_up(size_ - 1);
      index_.insert(hash, slot);
      return true;
    }
    // Evict the minimum: the newcomer may have occurred up to min_count times unseen.
    HeapNode& root = heap_[0];
    slot = root.slot;
    index_.erase(hashes_[slot], slot);
    Traits::assign(items_[slot], item);
    hashes_[slot] = hash;
    errors_[slot] = root.count;
    root.count += weight;
    sift_down(0);
    index_.insert(hash, slot);
    return true;
  }

  // Bounds on `item`'s weight: [count - error, count] if monitored, else [0, min_count()].
  [[nodiscard]] FrequencyBounds bounds(View item) const noexcept {
    if (!Traits::fits(item, max_item_bytes_)) {
      return FrequencyBounds{0, min_count()};
    }
    const std::uint32_t slot = find(Traits::hash(key_, item), item);
    if (slot == detail::SlotIndex::NONE) {
      return FrequencyBounds{0, min_count()};
    }
    const std::uint64_t count = heap_[position_[slot]].count;
    return FrequencyBounds{count - errors_[slot], count};
  }

  // The n counters with the largest counts, largest first.
  [[nodiscard]] std::vector<Counter> top(std::size_t n) const {
    std::vector<Counter> out = counters_by_count();
    out.resize(std::min(n, out.size()));
    return out;
  }

  // Counters whose count exceeds `threshold`, largest first. Contains every item whose
  // true weight exceeds `threshold` provided threshold >= min_count() (e.g. N/K).
  [[nodiscard]] std::vector<Counter> frequent(std::uint64_t threshold) const {
    std::vector<Counter> out = counters_by_count();
    const auto end = std::find_if(out.begin(), out.end(),
                                  [threshold](const Counter& c) { return c.count <= threshold; });
    out.erase(end, out.end());
    return out;
  }

  // Upper bound on any unmonitored item's weight: 0 until K items are monitored.
  [[nodiscard]] std::uint64_t min_count() const noexcept {
    return size_ < capacity_ ? 0 : heap_[0].count;
  }

  // incompatible unless capacity, max_item_bytes and key match.
  [[nodiscard]] Status merge(const SpaceSaving& other);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t max_item_bytes() const noexcept { return max_item_bytes_; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  [[nodiscard]] const SipKey& key() const noexcept { return key_; }

  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    std::size_t bytes = sizeof(*this) + items_.capacity() * sizeof(Item) +
                        errors_.capacity() * sizeof(std::uint64_t) +
                        hashes_.capacity() * sizeof(std::uint64_t) +
                        heap_.capacity() * sizeof(HeapNode) +
                        position_.capacity() * sizeof(std::uint32_t) + index_.memory_bytes();
    for (const Item& item : items_) {
      bytes += Traits::heap_bytes(item);
    }
    return bytes;
  }

  [[nodiscard]] Snapshot snapshot() const {
    Snapshot out{capacity_, max_item_bytes_, key_, total_, {}};
    out.counters.reserve(size_);
    for (std::size_t at = 0; at < size_; ++at) {
      const HeapNode& node = heap_[at];
      out.counters.push_back(Counter{items_[node.slot], node.count, errors_[node.slot]});
    }
    return out;
  }

 private:
  struct HeapNode {
    std::uint64_t count = 0;
    std::uint32_t slot = 0;
  };

  SpaceSaving(std::size_t capacity, std::size_t max_item_bytes, SipKey key)
      : capacity_(capacity),
        max_item_bytes_(max_item_bytes),
        key_(key),
        items_(capacity),
        errors_(capacity, 0),
        hashes_(capacity, 0),
        heap_(capacity),
        position_(capacity, 0),
        index_(capacity) {
    for (Item& item : items_) {
      Traits::reserve(item, max_item_bytes);
    }
  }

  static Status validate(std::size_t capacity, std::size_t max_item_bytes) {
    if (auto s = require_in_range<std::size_t>(capacity, 1, MAX_CAPACITY, "capacity"); !s) {
      return s;
    }
    if (auto s = require_in_range<std::size_t>(max_item_bytes, 1, MAX_ITEM_BYTES, "max_item_bytes");
        !s) {
      return s;
    }
    if (std::is_same_v<Item, std::string> && capacity * max_item_bytes > MAX_STRING_BYTES) {
      return fail(ErrorCode::invalid_config, "max_item_bytes",
                  "capacity * max_item_bytes must be at most 2^30 (got " +
                      std::to_string(capacity * max_item_bytes) + ")");
    }
    return {};
  }

  [[nodiscard]] std::uint32_t find(std::uint64_t hash, View item) const noexcept {
    return index_.find(hash, [&](std::uint32_t slot) { return Traits::equal(items_[slot], item); });
  }

  void sift_up(std::size_t at) noexcept {
    const HeapNode node = heap_[at];
    while (at > 0) {
      const std::size_t parent = (at - 1) / 2;
      if (!(node.count < heap_[parent].count)) {
        break;
      }
      place(at, heap_[parent]);
      at = parent;
    }
    place(at, node);
  }

  void sift_down(std::size_t at) noexcept {
    const HeapNode node = heap_[at];
    for (;;) {
      std::size_t child = 2 * at + 1;
      if (child >= size_) {
        break;
      }
      if (child + 1 < size_ && heap_[child + 1].count < heap_[child].count) {
        ++child;
      }
      if (!(heap_[child].count < node.count)) {
        break;
      }
      place(at, heap_[child]);
      at = child;
    }
    place(at, node);
  }

  void place(std::size_t at, const HeapNode& node) noexcept {
    heap_[at] = node;
    position_[node.slot] = static_cast<std::uint32_t>(at);
  }

  // All counters, largest count first; ties keep heap order, so the result is the same
  // for a sketch and its restored copy.
  [[nodiscard]] std::vector<Counter> counters_by_count() const {
    std::vector<Counter> out = snapshot().counters;
    std::stable_sort(out.begin(), out.end(),
                     [](const Counter& a, const Counter& b) { return a.count > b.count; });
    return out;
  }

  // Replaces the contents with `counters`, which must be distinct, at most K, and
  // already a min-heap on count.
  void load(std::span<const Counter> counters, std::span<const std::uint64_t> hashes) noexcept {
    index_.clear();
    size_ = counters.size();
    for (std::size_t i = 0; i < size_; ++i) {
      const auto slot = static_cast<std::uint32_t>(i);
      Traits::assign(items_[i], Traits::view(counters[i].item));
      errors_[i] = counters[i].error;
      hashes_[i] = hashes[i];
      heap_[i] = HeapNode{counters[i].count, slot};
      position_[i] = slot;
      index_.insert(hashes[i], slot);
    }
  }

  std::size_t capacity_;
  std::size_t max_item_bytes_;
  SipKey key_;
  std::uint64_t total_ = 0;
  std::size_t size_ = 0;
  std::vector<Item> items_;             // by slot
  std::vector<std::uint64_t> errors_;   // by slot
  std::vector<std::uint64_t> hashes_;   // by slot: the key's hash of items_[slot]
  std::vector<HeapNode> heap_;          // [0, size_): min-heap on count
  std::vector<std::uint32_t> position_; // by slot: index in heap_
  detail::SlotIndex index_;
};

template <SpaceSavingItem Item>
Result<SpaceSaving<Item>> SpaceSaving<Item>::restore(const Snapshot& snapshot) {
  auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  if (auto s = validate(snapshot.capacity, snapshot.max_item_bytes); !s) {
    return corrupt(s.error().field, s.error().bound);
  }
  const auto& counters = snapshot.counters;
  if (counters.size() > snapshot.capacity) {
    return corrupt("counters", "at most capacity = " + std::to_string(snapshot.capacity) +
                                   " entries (got " + std::to_string(counters.size()) + ")");
  }
  SpaceSaving sketch(snapshot.capacity, snapshot.max_item_bytes, snapshot.key);
  const bool full = counters.size() == snapshot.capacity;
  const std::uint64_t min_count = counters.empty() ? 0 : counters.front().count;
  __extension__ unsigned __int128 sum = 0;
  std::vector<std::uint64_t> hashes(counters.size());
  for (std::size_t i = 0; i < counters.size(); ++i) {
    const Counter& c = counters[i];
    const std::string field = "counters[" + std::to_string(i) + "]";
    if (!Traits::fits(Traits::view(c.item), snapshot.max_item_bytes)) {
      return corrupt(field + ".item", "at most max_item_bytes long");
    }
    if (c.error >= c.count) {
      return corrupt(field + ".error", "must be less than count");
    }
    if (i > 0 && counters[(i - 1) / 2].count > c.count) {
      return corrupt(field + ".count", "must not be below its heap parent's");
    }
    if (full ? c.error > min_count : c.error != 0) {
      return corrupt(field + ".error", full ? "must be at most the minimum count"
                                            : "must be 0 while fewer than capacity items");
    }
    hashes[i] = Traits::hash(sketch.key_, Traits::view(c.item));
    if (sketch.find(hashes[i], Traits::view(c.item)) != detail::SlotIndex::NONE) {
      return corrupt(field + ".item", "must be distinct");
    }
    // Index as we go so later duplicates are caught; load() rebuilds the index.
    Traits::assign(sketch.items_[i], Traits::view(c.item));
    sketch.index_.insert(hashes[i], static_cast<std::uint32_t>(i));
    sum += c.count;
  }
  if (full ? sum > snapshot.total : sum != snapshot.total) {
    return corrupt("total", full ? "must be at least the sum of counts"
                                 : "must equal the sum of counts while fewer than capacity items");
  }
  sketch.total_ = snapshot.total;
  sketch.load(counters, hashes);
  return sketch;
}

template <SpaceSavingItem Item>
Status SpaceSaving<Item>::merge(const SpaceSaving& other) {
  if (other.capacity_ != capacity_) {
    return fail(ErrorCode::incompatible, "capacity",
                "must be " + std::to_string(capacity_) + " (got " +
                    std::to_string(other.capacity_) + ")");
  }
  if (other.max_item_bytes_ != max_item_bytes_) {
    return fail(ErrorCode::incompatible, "max_item_bytes",
                "must be " + std::to_string(max_item_bytes_) + " (got " +
                    std::to_string(other.max_item_bytes_) + ")");
  }
  if (other.key_ != key_) {
    return fail(ErrorCode::incompatible, "key", "must match");
  }
  if (&other == this) {
    const SpaceSaving copy = other;
    return merge(copy);
  }
  struct Merged {
    Counter counter;
    std::uint64_t hash;
  };
  std::vector<Merged> merged;
  merged.reserve(size_ + other.size_);
  const std::uint64_t own_min = min_count();
  const std::uint64_t other_min = other.min_count();
  for (std::size_t at = 0; at < size_; ++at) {
    const HeapNode& node = heap_[at];
    Counter c{items_[node.slot], node.count, errors_[node.slot]};
    const std::uint32_t theirs = other.find(hashes_[node.slot], Traits::view(c.item));
    if (theirs != detail::SlotIndex::NONE) {
      c.count += other.heap_[other.position_[theirs]].count;
      c.error += other.errors_[theirs];
    } else {
      c.count += other_min;
      c.error += other_min;
    }
    merged.push_back(Merged{std::move(c), hashes_[node.slot]});
  }
  for (std::size_t at = 0; at < other.size_; ++at) {
    const HeapNode& node = other.heap_[at];
    const std::uint64_t hash = other.hashes_[node.slot];
    if (find(hash, Traits::view(other.items_[node.slot])) == detail::SlotIndex::NONE) {
      merged.push_back(Merged{Counter{other.items_[node.slot], node.count + own_min,
                                      other.errors_[node.slot] + own_min},
                              hash});
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const Merged& a, const Merged& b) {
    return a.counter.count > b.counter.count;
  });
  merged.resize(std::min(merged.size(), capacity_));
  // Ascending order is a valid min-heap.
  std::reverse(merged.begin(), merged.end());
  std::vector<Counter> counters;
  std::vector<std::uint64_t> hashes;
  counters.reserve(merged.size());
  hashes.reserve(merged.size());
  for (Merged& m : merged) {
    counters.push_back(std::move(m.counter));
    hashes.push_back(m.hash);
  }
  total_ += other.total_;
  load(counters, hashes);
  return {};
}

}  // namespace anomstream::sketch
