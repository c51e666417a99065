#pragma once
// AttributionStability: how much the trees of a forest agree on why a point scored as
// it did.
//
// The forest's attribution is the mean of per-tree attributions; when trees disagree
// (each blames a different dimension) the mean is a weak explanation even if the score
// is high. From the per-tree DiVectors this computes each tree's share vector (its 2*D
// entries divided by its total), then: `dispersion[i]`, the standard deviation across
// trees of dimension i's share (high + low); `top_agreement`, the fraction of trees whose
// own top dimension is the forest's; and `confidence` = 1 - mean total-variation
// distance between the trees' share vectors and the forest's share vector, in [0, 1]
// (1: every tree splits the score the same way; near 0: they blame disjoint entries).
// Trees with a zero total are skipped. Memory: O(D). Time: O(trees * D). Failure modes:
// none (an empty input gives confidence 0).

#include <cstddef>
#include <span>
#include <vector>

#include "anomstream/forest/di_vector.hpp"

namespace anomstream::forest {

struct AttributionStability {
  DiVector attribution;            // mean over trees (the forest's attribution)
  std::vector<double> dispersion;  // per dimension, std. dev. of the trees' shares
  std::size_t top_dimension = 0;   // argmax of attribution's high + low
  double top_agreement = 0.0;      // fraction of trees agreeing on top_dimension
  double confidence = 0.0;         // in [0, 1]

  // `per_tree` holds one DiVector per tree, all of one dimension.
  [[nodiscard]] static AttributionStability from_trees(std::span<const DiVector> per_tree);
};

}  // namespace anomstream::forest
