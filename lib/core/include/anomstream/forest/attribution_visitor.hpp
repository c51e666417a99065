#pragma once
// One tree's attribution of its anomaly score to dimensions and directions, as AWS
// randomcutforest's AttributionVisitor computes it.
//
// Same walk as score_tree. At every box on the way up the probability that a random cut
// separates the query is split per dimension and direction: the query's distance above
// the box's max in dimension i over (R + out) is the high part, its distance below the
// min the low part, where R is the box's range sum and out the total distance. The
// running DiVector is blended exactly like the score ((1 - p)*a + parts/(depth + 1)) and
// finally rescaled so its entries sum to the tree's score. If the query equals the leaf's
// point (a duplicate) the score is the damped "seen" score and the directions come from
// the "shadow box" (the union of the boxes beside the path, i.e. the tree without the
// query's leaf). If nothing separates the query, the score is spread evenly over the 2*D
// entries. Time: O(D) per node on the path; no allocation (scratch is the caller's).

#include <cstddef>
#include <span>

#include "anomstream/forest/point_store.hpp"
#include "anomstream/forest/random_cut_tree.hpp"

namespace anomstream::forest {

// Writes the tree's attribution of `query` into high[0..D) and low[0..D) (overwritten).
// `scratch` holds at least 2*D floats.
void attribute_tree(const RandomCutTree& tree, const float* query, const PointStore& store,
                    std::span<double> high, std::span<double> low,
                    std::span<float> scratch) noexcept;

}  // namespace anomstream::forest
