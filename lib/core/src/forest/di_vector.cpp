#include "anomstream/forest/di_vector.hpp"

namespace anomstream::forest {

double DiVector::total() const noexcept {
  double sum = 0.0;
  for (std::size_t i = 0; i < high.size(); ++i) {
    sum += high[i] + low[i];
  }
  return sum;
}

std::size_t DiVector::top_dimension() const noexcept {
  std::size_t best = 0;
  for (std::size_t i = 1; i < high.size(); ++i) {
    if (high_low_sum(i) > high_low_sum(best)) {
      best = i;
    }
  }
  return best;
}

void DiVector::scale(double factor) noexcept {
  for (std::size_t i = 0; i < high.size(); ++i) {
    high[i] *= factor;
    low[i] *= factor;
  }
}

void DiVector::add_scaled(const DiVector& other, double factor) noexcept {
  for (std::size_t i = 0; i < high.size(); ++i) {
    high[i] += other.high[i] * factor;
    low[i] += other.low[i] * factor;
  }
}

}  // namespace anomstream::forest
