#pragma once
// A fixed-capacity map from 64-bit keys to values that forgets the least recently used
// entry when full: the bounded table behind LshAlertClusterer and FeedbackStore.
//
// Keys must already be uniformly spread (signatures under a secret hyperplane set, or a
// keyed SipHash), so the index only mixes them with SplitMix64's finaliser. Open
// addressing with linear probing and backward-shift deletion over 2^k >= 2 * capacity
// slots (load <= 1/2), and an intrusive doubly linked list over the node array in use
// order, least recent first.
// Memory: capacity * (sizeof(Node)) + 4 * 2^k bytes, all allocated at construction.
// Time: expected O(1) per find, touch, insert and erase; no allocation after construction.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace anomstream::triage::detail {

template <class Value>
class LruTable {
 public:
  static constexpr std::uint32_t NONE = 0xffffffffU;

  struct Node {
    std::uint64_t key = 0;
    Value value{};
    std::uint32_t prev = NONE;  // towards the least recent
    std::uint32_t next = NONE;  // towards the most recent
  };

  explicit LruTable(std::size_t capacity)
      : nodes_(capacity), index_(std::bit_ceil(capacity * 2), NONE) {
    for (std::size_t i = 0; i < capacity; ++i) push_free(static_cast<std::uint32_t>(capacity - 1 - i));
  }

  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size() - free_count_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return nodes_.size(); }
  [[nodiscard]] bool full() const noexcept { return free_count_ == 0; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return nodes_.size() * sizeof(Node) + index_.size() * sizeof(std::uint32_t);
  }

  // The entry for `key`, or nullptr. Does not change the use order.
  [[nodiscard]] Node* find(std::uint64_t key) noexcept {
    const std::uint32_t slot = find_slot(key);
    return slot == NONE ? nullptr : &nodes_[index_[slot]];
  }

  // Makes `node` the most recently used.
  void touch(Node& node) noexcept {
    const auto n = static_cast<std::uint32_t>(&node - nodes_.data());
    if (n == newest_) return;
    unlink(n);
    link_newest(n);
  }

  // The least recently used entry, or nullptr when empty.
  [[nodiscard]] Node* oldest() noexcept { return oldest_ == NONE ? nullptr : &nodes_[oldest_]; }

  // Adds `key` (not present) as the most recent entry; when full, first erases the least
  // recent one. Returns the new node.
  Node& insert(std::uint64_t key, const Value& value) noexcept {
    if (full()) erase(nodes_[oldest_].key);
    const std::uint32_t n = free_head_;
    free_head_ = nodes_[n].next;
    --free_count_;
    nodes_[n].key = key;
    nodes_[n].value = value;
    link_newest(n);
    std::size_t slot = home(key);
    while (index_[slot] != NONE) slot = (slot + 1) & mask();
    index_[slot] = n;
    return nodes_[n];
  }

  void erase(std::uint64_t key) noexcept {
    const std::uint32_t slot = find_slot(key);
    if (slot == NONE) return;
    const std::uint32_t n = index_[slot];
    unlink(n);
    push_free(n);
    // Backward-shift deletion: pull later members of the probe run into the hole.
    std::size_t hole = slot;
    for (std::size_t next = (hole + 1) & mask(); index_[next] != NONE; next = (next + 1) & mask()) {
      const std::size_t want = home(nodes_[index_[next]].key);
      if (((next - want) & mask()) >= ((next - hole) & mask())) {
        index_[hole] = index_[next];
        hole = next;
      }
    }
    index_[hole] = NONE;
  }

  // Calls f(node) for every entry, least recent first.
  template <class F>
  void for_each(F&& f) const {
    for (std::uint32_t n = oldest_; n != NONE; n = nodes_[n].next) f(nodes_[n]);
  }

 private:
  [[nodiscard]] std::size_t mask() const noexcept { return index_.size() - 1; }
  [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept {
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return static_cast<std::size_t>(key) & mask();
  }
  [[nodiscard]] std::uint32_t find_slot(std::uint64_t key) const noexcept {
    for (std::size_t slot = home(key); index_[slot] != NONE; slot = (slot + 1) & mask()) {
      if (nodes_[index_[slot]].key == key) return static_cast<std::uint32_t>(slot);
    }
    return NONE;
  }
  void unlink(std::uint32_t n) noexcept {
    Node& node = nodes_[n];
    (node.prev == NONE ? oldest_ : nodes_[node.prev].next) = node.next;
    (node.next == NONE ? newest_ : nodes_[node.next].prev) = node.prev;
    node.prev = node.next = NONE;
  }
  void push_free(std::uint32_t n) noexcept {
    nodes_[n].next = free_head_;
    free_head_ = n;
    ++free_count_;
  }
  void link_newest(std::uint32_t n) noexcept {
    nodes_[n].prev = newest_;
    nodes_[n].next = NONE;
    (newest_ == NONE ? oldest_ : nodes_[newest_].next) = n;
    newest_ = n;
  }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> index_;  // slot -> node, NONE when empty
  std::uint32_t free_head_ = NONE;    // unused nodes, chained through `next`
  std::size_t free_count_ = 0;
  std::uint32_t oldest_ = NONE;
  std::uint32_t newest_ = NONE;
};

}  // namespace anomstream::triage::detail
