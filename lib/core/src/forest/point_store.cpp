#include "anomstream/forest/point_store.hpp"

#include <algorithm>
#include <cstring>

namespace anomstream::forest {

namespace {
constexpr std::size_t INITIAL_SLOTS = 64;
}

PointStore::PointStore(std::size_t dimension, std::size_t max_points)
    : dimension_(dimension), max_points_(max_points) {
  const std::size_t initial = std::min(max_points_, INITIAL_SLOTS);
  data_.reserve(initial * dimension_);
  ref_counts_.reserve(initial);
}

void PointStore::grow() {
  const std::size_t capacity = ref_counts_.capacity();
  const std::size_t wanted = std::min(max_points_, capacity + capacity / 8 + INITIAL_SLOTS);
  data_.reserve(wanted * dimension_);
  ref_counts_.reserve(wanted);
}

std::uint32_t PointStore::add(const float* values) {
  std::uint32_t index = free_head_;
  if (index != NO_POINT) {
    float* slot = data_.data() + static_cast<std::size_t>(index) * dimension_;
    std::memcpy(&free_head_, slot, sizeof free_head_);
    std::memcpy(slot, values, dimension_ * sizeof(float));
  } else {
    if (ref_counts_.size() == ref_counts_.capacity()) {
      grow();
    }
    index = static_cast<std::uint32_t>(ref_counts_.size());
    data_.insert(data_.end(), values, values + dimension_);
    ref_counts_.push_back(0);
  }
  ref_counts_[index] = 1;
  ++live_;
  return index;
}

void PointStore::release(std::uint32_t index) noexcept {
  if (--ref_counts_[index] == 0) {
    // Thread the free list through the slot's first value.
    std::memcpy(data_.data() + static_cast<std::size_t>(index) * dimension_, &free_head_,
                sizeof free_head_);
    free_head_ = index;
    --live_;
  }
}

std::size_t PointStore::memory_bytes() const noexcept {
  return data_.capacity() * sizeof(float) + ref_counts_.capacity() * sizeof(std::uint32_t);
}

}  // namespace anomstream::forest
