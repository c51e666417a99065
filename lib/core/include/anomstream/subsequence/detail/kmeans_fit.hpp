#pragma once
// The batch k-means that SubsequenceKMeans refits from its warm-up reservoir: greedy
// k-means++ seeding, then Lloyd iterations.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/random.hpp"

namespace anomstream::subsequence::detail {

// Working memory of a fit, sized once for at most `points` points of `values` values
// and `clusters` centroids, so a fit does not allocate.
struct KMeansScratch {
  KMeansScratch() = default;
  KMeansScratch(std::size_t points, std::size_t values, std::size_t clusters)
      : sums(clusters * values), sizes(clusters), assignment(points), distance(points) {}

  std::vector<double> sums;               // per centroid, the sum of its points
  std::vector<std::uint64_t> sizes;       // points per centroid after the fit
  std::vector<std::uint32_t> assignment;  // each point's centroid
  std::vector<double> distance;           // each point's squared distance to it

  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return sums.capacity() * sizeof(double) + sizes.capacity() * sizeof(std::uint64_t) +
           assignment.capacity() * sizeof(std::uint32_t) + distance.capacity() * sizeof(double);
  }
};

// Fits `clusters` centroids (written to `centroids`, clusters * values doubles) to the
// points stored one after another in `points` (values floats each, at least one point).
// Seeding is sklearn's greedy k-means++: 2 + floor(ln k) candidates drawn with
// probability proportional to the squared distance to the nearest chosen centre, the
// one that most lowers the total kept. Lloyd then alternates assignment (ties to the
// lower index) and means until no point changes cluster or after `max_iterations`
// rounds; a cluster left empty takes the point farthest from its centroid, as sklearn
// does. scratch.sizes holds the final cluster sizes.
void fit_kmeans(std::span<const float> points, std::size_t values, std::size_t clusters,
                std::size_t max_iterations, Xoshiro256& rng, std::span<double> centroids,
                KMeansScratch& scratch) noexcept;

}  // namespace anomstream::subsequence::detail
