#include "anomstream/forest/attribution_stability.hpp"

#include <algorithm>
#include <cmath>

namespace anomstream::forest {

AttributionStability AttributionStability::from_trees(std::span<const DiVector> per_tree) {
  AttributionStability result;
  if (per_tree.empty()) {
    return result;
  }
  const std::size_t d = per_tree.front().dimension();
  result.attribution = DiVector(d);
  for (const DiVector& tree : per_tree) {
    result.attribution.add_scaled(tree, 1.0 / static_cast<double>(per_tree.size()));
  }
  result.top_dimension = result.attribution.top_dimension();
  const double forest_total = result.attribution.total();
  if (!(forest_total > 0.0)) {
    result.dispersion.assign(d, 0.0);
    return result;
  }
  // Per dimension: sum of the trees' shares, then sum of their squares.
  result.dispersion.assign(2 * d, 0.0);
  double* share_sum = result.dispersion.data();
  double* square_sum = share_sum + d;
  double distance_sum = 0.0;
  std::size_t agree = 0;
  std::size_t counted = 0;
  for (const DiVector& tree : per_tree) {
    const double total = tree.total();
    if (!(total > 0.0)) {
      continue;
    }
    ++counted;
    double distance = 0.0;
    for (std::size_t i = 0; i < d; ++i) {
      const double share = tree.high_low_sum(i) / total;
      share_sum[i] += share;
      square_sum[i] += share * share;
      distance += std::abs(tree.high[i] / total - result.attribution.high[i] / forest_total) +
                  std::abs(tree.low[i] / total - result.attribution.low[i] / forest_total);
    }
    distance_sum += 0.5 * distance;
    agree += tree.top_dimension() == result.top_dimension ? 1 : 0;
  }
  const double n = static_cast<double>(std::max<std::size_t>(counted, 1));
  for (std::size_t i = 0; i < d; ++i) {
    const double mean = share_sum[i] / n;
    share_sum[i] = std::sqrt(std::max(square_sum[i] / n - mean * mean, 0.0));
  }
  result.dispersion.resize(d);
  if (counted == 0) {
    return result;
  }
  result.top_agreement = static_cast<double>(agree) / n;
  result.confidence = std::clamp(1.0 - distance_sum / n, 0.0, 1.0);
  return result;
}

}  // namespace anomstream::forest
