#pragma once
// WeightedReservoir: one tree's sample, a max-heap of (weight, point index).
//
// Weighted reservoir sampling without replacement (Efraimidis & Spirakis 2006; with the
// exponential time decay of Park, Ostrouchov & Samatova, SDM 2004, as AWS
// randomcutforest uses it): a point gets the weight ln(-ln u) - n*lambda (u uniform,
// n its arrival index) and the sample keeps the `capacity` smallest weights, so with
// lambda > 0 recent points are favoured. This type is only the heap; the acceptance rule
// (including the initial-fill rule) lives in SampledTree. Memory: 12 bytes per slot.
// Time: O(log capacity) per push or eviction, no allocation after construction.
// Failure modes: none; callers keep size() <= capacity().

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace anomstream::forest {

class WeightedReservoir {
 public:
  WeightedReservoir() = default;
  explicit WeightedReservoir(std::size_t capacity) : weights_(capacity), points_(capacity) {}

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return weights_.size(); }
  [[nodiscard]] bool full() const noexcept { return size_ == weights_.size(); }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  // Largest weight in the sample; size() > 0.
  [[nodiscard]] double max_weight() const noexcept { return weights_[0]; }

  // Adds an entry; size() < capacity().
  void push(double weight, std::uint32_t point) noexcept;
  // Removes the entry with the largest weight and returns its point; size() > 0.
  std::uint32_t evict_max() noexcept;

  // Heap-ordered contents (for snapshots and invariant checks).
  [[nodiscard]] std::span<const double> weights() const noexcept { return {weights_.data(), size_}; }
  [[nodiscard]] std::span<const std::uint32_t> points() const noexcept {
    return {points_.data(), size_};
  }
  // Replaces the contents with a heap-ordered array (validated by the caller).
  void assign(std::span<const double> weights, std::span<const std::uint32_t> points) noexcept;
  // True when every parent's weight is >= its children's.
  [[nodiscard]] bool is_heap() const noexcept;

  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return weights_.capacity() * sizeof(double) + points_.capacity() * sizeof(std::uint32_t);
  }

 private:
  std::vector<double> weights_;
  std::vector<std::uint32_t> points_;
  std::size_t size_ = 0;
};

}  // namespace anomstream::forest
