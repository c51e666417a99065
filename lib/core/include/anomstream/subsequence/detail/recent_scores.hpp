#pragma once
// RecentScores: the scores of the windows that ended at the last `slots` rows, for the
// lagged alignment of the subsequence detectors (SubsequenceKMeans, LeftMatrixProfile).
// A ring indexed by row number, so the row count the detector already keeps places each
// score and nothing else is stored.
// Memory: 8 * slots bytes, allocated at construction. Time: O(1) to record.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace anomstream::subsequence::detail {

class RecentScores {
 public:
  explicit RecentScores(std::size_t slots) : scores_(slots, 0.0) {}

  // The score of the window ending at row `row` (0-based).
  void record(std::uint64_t row, double score) noexcept { scores_[slot(row)] = score; }
  // All slots in ring order (the order does not matter to a sum or a maximum).
  [[nodiscard]] std::span<const double> values() const noexcept { return scores_; }
  [[nodiscard]] std::size_t size() const noexcept { return scores_.size(); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return scores_.capacity() * sizeof(double);
  }

  // Oldest first after `rows` rows: the slot the next row overwrites comes first.
  [[nodiscard]] std::vector<double> oldest_first(std::uint64_t rows) const {
    std::vector<double> out;
    out.reserve(scores_.size());
    for (std::size_t k = 0; k < scores_.size(); ++k) out.push_back(scores_[slot(rows + k)]);
    return out;
  }
  // The inverse of oldest_first; `scores` has size() values.
  void assign_oldest_first(std::uint64_t rows, std::span<const double> scores) noexcept {
    for (std::size_t k = 0; k < scores_.size(); ++k) scores_[slot(rows + k)] = scores[k];
  }

 private:
  [[nodiscard]] std::size_t slot(std::uint64_t row) const noexcept {
    return static_cast<std::size_t>(row % scores_.size());
  }

  std::vector<double> scores_;
};

}  // namespace anomstream::subsequence::detail
