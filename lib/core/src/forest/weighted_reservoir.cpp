#include "anomstream/forest/weighted_reservoir.hpp"

#include <algorithm>

namespace anomstream::forest {

void WeightedReservoir::push(double weight, std::uint32_t point) noexcept {
  std::size_t current = size_++;
  while (current > 0) {
    const std::size_t parent = (current - 1) / 2;
    if (!(weights_[parent] < weight)) {
      break;
    }
    weights_[current] = weights_[parent];
    points_[current] = points_[parent];
    current = parent;
  }
  weights_[current] = weight;
  points_[current] = point;
}

std::uint32_t WeightedReservoir::evict_max() noexcept {
  const std::uint32_t evicted = points_[0];
  --size_;
  const double weight = weights_[size_];
  const std::uint32_t point = points_[size_];
  std::size_t current = 0;
  while (2 * current + 1 < size_) {
    std::size_t child = 2 * current + 1;
    if (child + 1 < size_ && weights_[child + 1] > weights_[child]) {
      ++child;
    }
    if (!(weights_[child] > weight)) {
      break;
    }
    weights_[current] = weights_[child];
    points_[current] = points_[child];
    current = child;
  }
  if (size_ > 0) {
    weights_[current] = weight;
    points_[current] = point;
  }
  return evicted;
}

void WeightedReservoir::assign(std::span<const double> weights,
                               std::span<const std::uint32_t> points) noexcept {
  size_ = std::min({weights.size(), points.size(), weights_.size()});
  std::copy_n(weights.begin(), size_, weights_.begin());
  std::copy_n(points.begin(), size_, points_.begin());
}

bool WeightedReservoir::is_heap() const noexcept {
  for (std::size_t i = 1; i < size_; ++i) {
    if (weights_[(i - 1) / 2] < weights_[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace anomstream::forest
