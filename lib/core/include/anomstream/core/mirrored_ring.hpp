#pragma once
// MirroredRing: the last `capacity` rows of a stream of fixed-width rows, oldest first,
// always readable as one contiguous span.
//
// Row i is stored twice, at slots (i mod c) and (i mod c) + c, so the c rows ending at
// the newest start at slot (pushed mod c) and nothing is copied to read them. Used by
// the detectors that score the recent shape of a stream (ShingledForest,
// SubsequenceKMeans, LeftMatrixProfile).
// Memory: 16 * width * capacity bytes, allocated at construction.
// Time: O(width) per push, O(1) to read the window, no allocation after construction.
// Errors: none; callers check a row's length and values before pushing it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace anomstream {

class MirroredRing {
 public:
  MirroredRing() = default;
  // width >= 1, capacity >= 1.
  MirroredRing(std::size_t width, std::size_t capacity)
      : width_(width), capacity_(capacity), slots_(2 * width * capacity, 0.0) {}

  // Appends one row of width() values, dropping the oldest once full.
  void push(std::span<const double> row) noexcept {
    const auto slot = static_cast<std::size_t>(pushed_ % capacity_);
    std::copy(row.begin(), row.end(), slots_.begin() + static_cast<std::ptrdiff_t>(slot * width_));
    std::copy(row.begin(), row.end(),
              slots_.begin() + static_cast<std::ptrdiff_t>((slot + capacity_) * width_));
    ++pushed_;
  }

  // The last capacity() rows, oldest first (width * capacity values); empty until full.
  [[nodiscard]] std::span<const double> window() const noexcept {
    if (!is_full()) return {};
    const auto start = static_cast<std::size_t>(pushed_ % capacity_);
    return {slots_.data() + start * width_, width_ * capacity_};
  }

  // The last capacity() rows, oldest first, with zero rows standing in for those not
  // pushed yet: the same view as window() once full, and readable before.
  [[nodiscard]] std::span<const double> padded_window() const noexcept {
    const auto start = static_cast<std::size_t>(is_full() ? pushed_ % capacity_ : pushed_);
    return {slots_.data() + start * width_, width_ * capacity_};
  }

  // The last min(pushed(), capacity()) rows, oldest first: what a snapshot keeps.
  [[nodiscard]] std::vector<double> recent() const {
    const auto kept = static_cast<std::size_t>(std::min<std::uint64_t>(pushed_, capacity_));
    const auto start = static_cast<std::size_t>((pushed_ - kept) % capacity_);
    const auto* first = slots_.data() + start * width_;
    return {first, first + kept * width_};
  }

  // Rebuilds the ring of a stream that has pushed `pushed` rows, the last of which are
  // `recent` (min(pushed, capacity()) rows, oldest first, as recent() returns them).
  void replay(std::uint64_t pushed, std::span<const double> recent) noexcept {
    const std::size_t kept = recent.size() / width_;
    pushed_ = pushed - kept;
    for (std::size_t k = 0; k < kept; ++k) push(recent.subspan(k * width_, width_));
  }

  [[nodiscard]] bool is_full() const noexcept { return pushed_ >= capacity_; }
  [[nodiscard]] std::uint64_t pushed() const noexcept { return pushed_; }
  [[nodiscard]] std::size_t width() const noexcept { return width_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return slots_.capacity() * sizeof(double);
  }

 private:
  std::size_t width_ = 1;
  std::size_t capacity_ = 1;
  std::vector<double> slots_;
  std::uint64_t pushed_ = 0;
};

}  // namespace anomstream
