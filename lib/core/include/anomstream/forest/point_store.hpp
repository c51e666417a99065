#pragma once
// PointStore: the float32 points a forest's trees hold, stored once and shared.
//
// Every tree of a RandomCutForest samples from the same stream, so a point accepted by
// k trees is stored once with reference count k (as in AWS randomcutforest's point
// store) and leaves hold a 32-bit index. Slots are reused through an intrusive free list
// threaded through the free slots' first value, so the store costs D*4 + 4 bytes per
// slot and nothing per free-list entry. Memory: at most `max_points` slots (a forest
// passes num_trees*sample_size + 1, one per sampled point plus the point being
// inserted); slots are added as the number of live points reaches a new high-water
// mark, growing capacity by 1/8, so in steady state (the live count fluctuates below
// its maximum) `add` does not allocate. Time: add/retain/release O(1) (add O(D) to copy).
// Failure modes: indices are trusted (callers are the forest's own trees); running out
// of memory while growing throws std::bad_alloc.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace anomstream::forest {

class PointStore {
 public:
  static constexpr std::uint32_t NO_POINT = 0xFFFFFFFFU;

  PointStore() = default;
  PointStore(std::size_t dimension, std::size_t max_points);

  // Copies `values` (dimension() floats) into a free slot with reference count 1.
  std::uint32_t add(const float* values);
  void retain(std::uint32_t index) noexcept { ++ref_counts_[index]; }
  // Drops one reference; the slot is freed at zero.
  void release(std::uint32_t index) noexcept;

  [[nodiscard]] const float* point(std::uint32_t index) const noexcept {
    return data_.data() + static_cast<std::size_t>(index) * dimension_;
  }
  [[nodiscard]] std::uint32_t ref_count(std::uint32_t index) const noexcept {
    return ref_counts_[index];
  }
  [[nodiscard]] std::size_t dimension() const noexcept { return dimension_; }
  [[nodiscard]] std::size_t max_points() const noexcept { return max_points_; }
  // Slots ever used (live + free); indices are below this.
  [[nodiscard]] std::size_t slots() const noexcept { return ref_counts_.size(); }
  [[nodiscard]] std::size_t live_points() const noexcept { return live_; }
  // Bytes of the allocated buffers (capacity, not size), without the object itself.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  void grow();

  std::size_t dimension_ = 0;
  std::size_t max_points_ = 0;
  std::size_t live_ = 0;
  std::uint32_t free_head_ = NO_POINT;
  std::vector<float> data_;
  std::vector<std::uint32_t> ref_counts_;
};

}  // namespace anomstream::forest
