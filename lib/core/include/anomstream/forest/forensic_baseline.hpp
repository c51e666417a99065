#pragma once
// ForensicBaseline: where a point lies relative to the data the forest currently holds,
// in the point's own units (an analyst's "normal looked like this").
//
// Over the forest's sample (every point some tree holds, weighted by how many tree
// samples hold it): the Euclidean distance to the nearest sampled point and that point,
// the weighted mean distance, and per-dimension deltas to the nearest point and to the
// weighted sample mean. Coordinates are the stored float32 values. Memory: O(D) for the
// result. Time: O(distinct sampled points * D), at most num_trees*sample_size*D — an
// explanation call, not for every observation. Failure modes: the forest returns
// ErrorCode::not_ready while it holds no points.

#include <cstddef>
#include <vector>

#include "anomstream/forest/point_store.hpp"

namespace anomstream::forest {

struct ForensicBaseline {
  double nearest_distance = 0.0;
  double mean_distance = 0.0;
  std::vector<double> nearest;           // the nearest sampled point
  std::vector<double> delta_to_nearest;  // point - nearest
  std::vector<double> delta_to_mean;     // point - weighted sample mean
  std::size_t sample_points = 0;         // distinct points considered

  // Baseline of `query` (store.dimension() floats) against the live points of `store`,
  // each weighted by its reference count. store.live_points() > 0.
  [[nodiscard]] static ForensicBaseline compute(const PointStore& store, const float* query);
};

}  // namespace anomstream::forest
