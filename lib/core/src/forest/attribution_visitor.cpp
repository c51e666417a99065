#include "anomstream/forest/attribution_visitor.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "anomstream/forest/detail/box_ops.hpp"

namespace anomstream::forest {

namespace {

// Blends the separation probability of (lo, hi) into (high, low) at `depth`; returns p
// (0 means the query lies inside the box and nothing changes).
// The box is the extent (a, b): [min(a, b), max(a, b)].
double blend(const float* a, const float* b, const float* query, std::size_t d,
             std::size_t depth, std::span<double> high, std::span<double> low) noexcept {
  double out = 0.0;
  double range = 0.0;
  for (std::size_t i = 0; i < d; ++i) {
    const float lo = std::min(a[i], b[i]);
    const float hi = std::max(a[i], b[i]);
    out += static_cast<double>(std::max(lo - query[i], 0.0F)) +
           static_cast<double>(std::max(query[i] - hi, 0.0F));
    range += static_cast<double>(hi - lo);
  }
  if (out == 0.0) {
    return 0.0;
  }
  const double p = out / (range + out);
  const double value = 1.0 / (static_cast<double>(depth) + 1.0);
  const double unit = value / (range + out);
  for (std::size_t i = 0; i < d; ++i) {
    const float lo = std::min(a[i], b[i]);
    const float hi = std::max(a[i], b[i]);
    high[i] = high[i] * (1.0 - p) + static_cast<double>(std::max(query[i] - hi, 0.0F)) * unit;
    low[i] = low[i] * (1.0 - p) + static_cast<double>(std::max(lo - query[i], 0.0F)) * unit;
  }
  return p;
}

}  // namespace

void attribute_tree(const RandomCutTree& tree, const float* query, const PointStore& store,
                    std::span<double> high, std::span<double> low,
                    std::span<float> scratch) noexcept {
  const std::size_t d = tree.dimension();
  std::fill_n(high.begin(), d, 0.0);
  std::fill_n(low.begin(), d, 0.0);
  NodeRef ref = tree.root();
  if (ref == NO_NODE) {
    return;
  }
  std::array<NodeRef, MAX_TREE_DEPTH> path;
  std::size_t depth = 0;
  while (!RandomCutTree::is_leaf(ref)) {
    path[depth++] = ref;
    const InternalNode& node = tree.node(ref);
    ref = node.child[query[node.dim] <= node.cut ? 0 : 1];
  }
  const double tree_mass = tree.mass();
  const float* leaf_point = store.point(tree.leaf_point(ref));
  double score = 0.0;
  if (detail::equal_points(leaf_point, query, d)) {
    const double m = tree.leaf_mass(ref);
    score = (1.0 - m / (2.0 * tree_mass)) / (static_cast<double>(depth) + std::log2(1.0 + m));
    // Shadow box: the union of the subtrees beside the path, built on the way up.
    float* lo = scratch.data();
    float* hi = scratch.data() + d;
    bool has_box = false;
    NodeRef child = ref;
    while (depth > 0) {
      --depth;
      const InternalNode& node = tree.node(path[depth]);
      const NodeRef sibling = node.child[node.child[0] == child ? 1 : 0];
      const Extent e = tree.extent(sibling, store);
      for (std::size_t i = 0; i < d; ++i) {
        const float s_lo = std::min(e.a[i], e.b[i]);
        const float s_hi = std::max(e.a[i], e.b[i]);
        lo[i] = has_box ? std::min(lo[i], s_lo) : s_lo;
        hi[i] = has_box ? std::max(hi[i], s_hi) : s_hi;
      }
      has_box = true;
      if (blend(lo, hi, query, d, depth, high, low) == 0.0) {
        break;
      }
      child = path[depth];
    }
  } else {
    score = 1.0 / (static_cast<double>(depth) + 1.0);
    blend(leaf_point, leaf_point, query, d, depth, high, low);
    while (depth > 0) {
      --depth;
      const Extent e = tree.extent(path[depth], store);
      const double p = blend(e.a, e.b, query, d, depth, high, low);
      if (p == 0.0) {
        break;
      }
      score = (1.0 - p) * score + p / (static_cast<double>(depth) + 1.0);
    }
  }
  const double target = score * std::log2(1.0 + tree_mass);
  double total = 0.0;
  for (std::size_t i = 0; i < d; ++i) {
    total += high[i] + low[i];
  }
  if (total <= 0.0) {
    const double even = target / (2.0 * static_cast<double>(d));
    std::fill_n(high.begin(), d, even);
    std::fill_n(low.begin(), d, even);
    return;
  }
  const double factor = target / total;
  for (std::size_t i = 0; i < d; ++i) {
    high[i] *= factor;
    low[i] *= factor;
  }
}

}  // namespace anomstream::forest
