#include "anomstream/forest/forensic_baseline.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace anomstream::forest {

ForensicBaseline ForensicBaseline::compute(const PointStore& store, const float* query) {
  const std::size_t d = store.dimension();
  ForensicBaseline result;
  std::vector<double> mean(d, 0.0);
  double best = std::numeric_limits<double>::infinity();
  std::uint32_t best_index = PointStore::NO_POINT;
  double weight_sum = 0.0;
  double distance_sum = 0.0;
  for (std::uint32_t i = 0; i < store.slots(); ++i) {
    const std::uint32_t refs = store.ref_count(i);
    if (refs == 0) {
      continue;
    }
    ++result.sample_points;
    const float* p = store.point(i);
    double squared = 0.0;
    for (std::size_t k = 0; k < d; ++k) {
      const double delta = static_cast<double>(query[k]) - static_cast<double>(p[k]);
      squared += delta * delta;
      mean[k] += refs * static_cast<double>(p[k]);
    }
    const double distance = std::sqrt(squared);
    distance_sum += refs * distance;
    weight_sum += refs;
    if (distance < best) {
      best = distance;
      best_index = i;
    }
  }
  if (best_index == PointStore::NO_POINT) {
    return result;
  }
  result.nearest_distance = best;
  result.mean_distance = distance_sum / weight_sum;
  const float* nearest = store.point(best_index);
  result.nearest.resize(d);
  result.delta_to_nearest.resize(d);
  result.delta_to_mean.resize(d);
  for (std::size_t k = 0; k < d; ++k) {
    result.nearest[k] = nearest[k];
    result.delta_to_nearest[k] = static_cast<double>(query[k]) - nearest[k];
    result.delta_to_mean[k] = static_cast<double>(query[k]) - mean[k] / weight_sum;
  }
  return result;
}

}  // namespace anomstream::forest
