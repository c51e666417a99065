#include "anomstream/subsequence/detail/kmeans_fit.hpp"

#include <algorithm>
#include <cmath>

#include "window_distance.hpp"

namespace anomstream::subsequence::detail {
namespace {

struct Points {
  const float* data;
  std::size_t count;
  std::size_t values;
  [[nodiscard]] const float* at(std::size_t i) const noexcept { return data + i * values; }
};

void copy_point(const Points& points, std::size_t i, double* out) noexcept {
  const float* p = points.at(i);
  for (std::size_t v = 0; v < points.values; ++v) out[v] = static_cast<double>(p[v]);
}

// A point drawn with probability proportional to `weight` (whose sum is `total` > 0).
std::size_t draw_weighted(std::span<const double> weight, double total, Xoshiro256& rng) noexcept {
  const double target = rng.uniform01() * total;
  double cumulative = 0.0;
  for (std::size_t i = 0; i < weight.size(); ++i) {
    cumulative += weight[i];
    if (cumulative > target) return i;
  }
  return weight.size() - 1;  // rounding left the target at the very end
}

// Sum over the points of min(closest, squared distance to `candidate`).
double potential_with(const Points& points, std::span<const double> closest,
                      const double* candidate) noexcept {
  double total = 0.0;
  for (std::size_t i = 0; i < points.count; ++i) {
    total += std::min(closest[i], squared_distance(points.at(i), candidate, points.values));
  }
  return total;
}

void seed_plus_plus(const Points& points, std::size_t clusters, Xoshiro256& rng,
                    double* centroids, std::span<double> closest) noexcept {
  const std::size_t n = points.values;
  const std::size_t trials = 2 + static_cast<std::size_t>(std::log(static_cast<double>(clusters)));
  copy_point(points, static_cast<std::size_t>(rng.below(points.count)), centroids);
  double potential = 0.0;
  for (std::size_t i = 0; i < points.count; ++i) {
    closest[i] = squared_distance(points.at(i), centroids, n);
    potential += closest[i];
  }
  for (std::size_t c = 1; c < clusters; ++c) {
    double* centre = centroids + c * n;
    if (!(potential > 0.0)) {
      // Every point coincides with a chosen centre: any point will do.
      copy_point(points, static_cast<std::size_t>(rng.below(points.count)), centre);
      continue;
    }
    double best_potential = 0.0;
    std::size_t best = 0;
    for (std::size_t t = 0; t < trials; ++t) {
      const std::size_t candidate = draw_weighted(closest.first(points.count), potential, rng);
      copy_point(points, candidate, centre);
      const double with = potential_with(points, closest, centre);
      if (t == 0 || with < best_potential) {
        best_potential = with;
        best = candidate;
      }
    }
    copy_point(points, best, centre);
    potential = 0.0;
    for (std::size_t i = 0; i < points.count; ++i) {
      closest[i] = std::min(closest[i], squared_distance(points.at(i), centre, n));
      potential += closest[i];
    }
  }
}

}  // namespace

void fit_kmeans(std::span<const float> data, std::size_t values, std::size_t clusters,
                std::size_t max_iterations, Xoshiro256& rng, std::span<double> centroids,
                KMeansScratch& scratch) noexcept {
  const Points points{data.data(), data.size() / values, values};
  const std::size_t n = values;
  seed_plus_plus(points, clusters, rng, centroids.data(), scratch.distance);

  auto& assignment = scratch.assignment;
  auto& distance = scratch.distance;
  auto& sizes = scratch.sizes;
  auto& sums = scratch.sums;
  for (std::size_t iteration = 0; iteration < max_iterations; ++iteration) {
    bool changed = iteration == 0;
    for (std::size_t i = 0; i < points.count; ++i) {
      const Nearest near = nearest_centroid(points.at(i), centroids.data(), clusters, n);
      changed |= assignment[i] != near.index;
      assignment[i] = static_cast<std::uint32_t>(near.index);
      distance[i] = near.squared_distance;
    }
    if (!changed) break;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(sizes.begin(), sizes.end(), 0);
    for (std::size_t i = 0; i < points.count; ++i) {
      double* sum = sums.data() + assignment[i] * n;
      const float* p = points.at(i);
      for (std::size_t v = 0; v < n; ++v) sum[v] += static_cast<double>(p[v]);
      ++sizes[assignment[i]];
    }
    for (std::size_t c = 0; c < clusters; ++c) {
      double* centre = centroids.data() + c * n;
      if (sizes[c] == 0) {
        // Relocate to the point farthest from its centroid (sklearn's rule).
        const auto far = static_cast<std::size_t>(
            std::max_element(distance.begin(), distance.begin() + static_cast<std::ptrdiff_t>(points.count)) -
            distance.begin());
        --sizes[assignment[far]];
        assignment[far] = static_cast<std::uint32_t>(c);
        sizes[c] = 1;
        distance[far] = 0.0;
        copy_point(points, far, centre);
        continue;
      }
      const double inverse = 1.0 / static_cast<double>(sizes[c]);
      const double* sum = sums.data() + c * n;
      for (std::size_t v = 0; v < n; ++v) centre[v] = sum[v] * inverse;
    }
  }
}

}  // namespace anomstream::subsequence::detail
