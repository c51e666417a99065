#pragma once
// Fixed-capacity hash index from an item's keyed hash to the slot that holds it, for
// the counter-based sketches (SpaceSaving). Linear probing over a power-of-two table of
// at least twice the slot count, so the load factor stays at most 1/2 and a probe ends
// at an empty entry; deletion shifts the probe run back (no tombstones), so the table
// never degrades over an unbounded stream. Memory 16 bytes per entry, allocated once.
// The caller supplies the equality test, since only it can compare the items.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace anomstream::sketch::detail {

class SlotIndex {
 public:
  static constexpr std::uint32_t NONE = 0xffffffffU;

  SlotIndex() = default;
  // A table for at most `slots` entries.
  explicit SlotIndex(std::size_t slots);

  // The slot whose hash is `hash` and for which `matches(slot)` holds, or NONE.
  template <class Matches>
  [[nodiscard]] std::uint32_t find(std::uint64_t hash, Matches&& matches) const noexcept {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Entry& entry = table_[i];
      if (entry.slot == NONE) {
        return NONE;
      }
      if (entry.hash == hash && matches(entry.slot)) {
        return entry.slot;
      }
    }
  }

  // `slot` must not be present; at most `slots` entries may be present at once.
  void insert(std::uint64_t hash, std::uint32_t slot) noexcept;
  // `slot`, inserted with `hash`, must be present.
  void erase(std::uint64_t hash, std::uint32_t slot) noexcept;
  void clear() noexcept;

  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  struct Entry {
    std::uint64_t hash = 0;
    std::uint32_t slot = NONE;
  };
  std::vector<Entry> table_;
  std::size_t mask_ = 0;
};

}  // namespace anomstream::sketch::detail
