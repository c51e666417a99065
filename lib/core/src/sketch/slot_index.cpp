#include "anomstream/sketch/slot_index.hpp"

#include <algorithm>
#include <bit>

namespace anomstream::sketch::detail {

SlotIndex::SlotIndex(std::size_t slots)
    : table_(std::bit_ceil(std::max<std::size_t>(2, 2 * slots))), mask_(table_.size() - 1) {}

void SlotIndex::insert(std::uint64_t hash, std::uint32_t slot) noexcept {
  std::size_t i = hash & mask_;
  while (table_[i].slot != NONE) {
    i = (i + 1) & mask_;
  }
  table_[i] = Entry{hash, slot};
}

void SlotIndex::erase(std::uint64_t hash, std::uint32_t slot) noexcept {
  std::size_t hole = hash & mask_;
  while (table_[hole].slot != slot) {
    hole = (hole + 1) & mask_;
  }
  // Backward-shift deletion: move each later entry of the run into the hole unless its
  // home position lies cyclically in (hole, j], where it must stay to remain reachable.
  for (std::size_t j = (hole + 1) & mask_; table_[j].slot != NONE; j = (j + 1) & mask_) {
    const std::size_t home = table_[j].hash & mask_;
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      table_[hole] = table_[j];
      hole = j;
    }
  }
  table_[hole] = Entry{};
}

void SlotIndex::clear() noexcept { std::fill(table_.begin(), table_.end(), Entry{}); }

std::size_t SlotIndex::memory_bytes() const noexcept { return table_.capacity() * sizeof(Entry); }

}  // namespace anomstream::sketch::detail
