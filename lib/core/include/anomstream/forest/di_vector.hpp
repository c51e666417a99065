#pragma once
// DiVector: a per-dimension pair of contributions, "high" (the value is unusually large)
// and "low" (unusually small), as AWS randomcutforest's DiVector.
//
// The forest's attribution of a score is a DiVector whose entries sum to the score, so
// high[i] + low[i] is dimension i's share and the larger of the two says the direction.
// Memory: 16*D bytes. Failure modes: none (plain data; operations assume equal sizes).

#include <cstddef>
#include <vector>

namespace anomstream::forest {

struct DiVector {
  std::vector<double> high;
  std::vector<double> low;

  DiVector() = default;
  explicit DiVector(std::size_t dimension) : high(dimension, 0.0), low(dimension, 0.0) {}

  [[nodiscard]] std::size_t dimension() const noexcept { return high.size(); }
  // Sum of every entry (the score it explains).
  [[nodiscard]] double total() const noexcept;
  // high[i] + low[i].
  [[nodiscard]] double high_low_sum(std::size_t i) const noexcept { return high[i] + low[i]; }
  // Index of the dimension with the largest high + low (0 when empty).
  [[nodiscard]] std::size_t top_dimension() const noexcept;
  void scale(double factor) noexcept;
  // this += other * factor.
  void add_scaled(const DiVector& other, double factor) noexcept;

  friend bool operator==(const DiVector&, const DiVector&) = default;
};

}  // namespace anomstream::forest
