#include "anomstream/forest/score_visitor.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "anomstream/forest/detail/box_ops.hpp"
#include "anomstream/forest/detail/prefetch.hpp"

namespace anomstream::forest {

namespace {

// Boxes below which the walk up usually stops; prefetched when the leaf is reached.
constexpr std::size_t PREFETCH_BOXES = 4;
constexpr std::size_t PREFETCH_BOX_LINES = 8;

// The walk up from the leaf reached by `path[0..depth)`: AWS's score of one tree.
// `log2_one_plus(m)` returns log2(1 + m). Sets `first_outside` as
// RandomCutTree::first_outside would (the walk stops at the first box holding the query).
template <std::size_t Dim, class Log2>
double finish_score(const RandomCutTree& tree, const PointStore& store, const NodeRef* path,
                    std::size_t depth, NodeRef leaf, const float* leaf_point, const float* query,
                    const Log2& log2_one_plus, std::size_t& first_outside) noexcept {
  const std::size_t d = detail::dim_of<Dim>(tree.dimension());
  const std::uint32_t tree_mass = tree.mass();
  const double normaliser = log2_one_plus(tree_mass);
  if (detail::equal_points<Dim>(leaf_point, query, d)) {
    first_outside = depth;  // every box holds the leaf's point
    const std::uint32_t m = tree.leaf_mass(leaf);
    const double damp = 1.0 - static_cast<double>(m) / (2.0 * static_cast<double>(tree_mass));
    return damp / (static_cast<double>(depth) + log2_one_plus(m)) * normaliser;
  }
  double score = 1.0 / (static_cast<double>(depth) + 1.0);
  while (depth > 0) {
    const NodeRef ref = path[depth - 1];
    detail::OutAndRange r;
    if (tree.has_box(ref)) {
      const float* box = tree.box(ref);
      r = detail::out_and_range<Dim>(box, box + d, query, d);
    } else {
      // Both children are leaves (only possible right above the leaf): the box is the
      // leaf's point and its sibling's.
      const Extent e = tree.extent(ref, store);
      r = detail::out_and_range_extent<Dim>(e.a, e.b, query, d);
    }
    const auto [out, range] = r;
    if (out == 0.0F) {
      break;
    }
    --depth;
    const double p = static_cast<double>(out) / (static_cast<double>(range) + out);
    score = (1.0 - p) * score + p / (static_cast<double>(depth) + 1.0);
  }
  first_outside = depth;
  return score * normaliser;
}

// Descends LANES trees in lockstep, one level per round, keeping every lane's state in
// registers (the lane loop is unrolled at compile time): each round issues LANES
// independent loads, so their cache misses overlap. Walks are recorded in `out`.
template <std::size_t Dim, std::size_t... K>
void score_batch(const SampledTree* trees, const float* query, const PointStore& store,
                 const double* table, double* scores, ScoredPath* out,
                 std::index_sequence<K...>) noexcept {
  constexpr std::size_t LANES = sizeof...(K);
  const RandomCutTree* tree[LANES] = {&trees[K].tree()...};
  const InternalNode* nodes[LANES] = {tree[K]->nodes()...};
  NodeRef ref[LANES] = {tree[K]->root()...};
  std::uint32_t depth[LANES] = {((void)K, 0U)...};
  // An empty tree's root is NO_NODE, which carries the leaf tag: it never descends.
  const auto step = [&]<std::size_t k>() noexcept {
    if (RandomCutTree::is_leaf(ref[k])) {
      return false;
    }
    const InternalNode& node = nodes[k][ref[k]];
    out[k].nodes[depth[k]++] = ref[k];
    ref[k] = node.child[query[node.dim] <= node.cut ? 0 : 1];
    detail::prefetch(nodes[k] + ref[k]);  // past the array for a leaf: harmless
    return true;
  };
  while ((step.template operator()<K>() | ...)) {
  }
  const auto log2_one_plus = [table](std::uint32_t m) noexcept { return table[m]; };
  const std::size_t box_bytes = 2 * store.dimension() * sizeof(float);
  const std::size_t box_lines = std::min<std::size_t>(PREFETCH_BOX_LINES, (box_bytes + 63) / 64);
  const float* leaf_points[LANES] = {};
  const auto fetch = [&]<std::size_t k>() noexcept {
    out[k].depth = depth[k];
    out[k].leaf = ref[k];
    if (ref[k] == NO_NODE) {
      return;
    }
    leaf_points[k] = store.point(tree[k]->leaf_point(ref[k]));
    detail::prefetch(leaf_points[k]);
    const std::size_t stop = depth[k] > PREFETCH_BOXES ? depth[k] - PREFETCH_BOXES : 0;
    for (std::size_t i = depth[k]; i-- > stop;) {
      const NodeRef node = out[k].nodes[i];
      if (tree[k]->has_box(node)) {
        detail::prefetch_lines(tree[k]->box(node), box_lines);
      } else {
        const InternalNode& n = tree[k]->node(node);
        detail::prefetch(store.point(tree[k]->leaf_point(n.child[n.child[0] == ref[k] ? 1 : 0])));
      }
    }
  };
  (fetch.template operator()<K>(), ...);
  const auto finish = [&]<std::size_t k>() noexcept {
    if (ref[k] == NO_NODE) {
      scores[k] = 0.0;
      out[k].first_outside = 0;
      return;
    }
    scores[k] = finish_score<Dim>(*tree[k], store, out[k].nodes.data(), depth[k], ref[k],
                                  leaf_points[k], query, log2_one_plus, out[k].first_outside);
  };
  (finish.template operator()<K>(), ...);
}

template <std::size_t Dim>
void score_batches(std::span<const SampledTree> trees, const float* query,
                   const PointStore& store, const double* table, double* scores,
                   ScoredPath* paths) noexcept {
  std::array<ScoredPath, SCORE_BATCH> local;
  std::size_t begin = 0;
  // Full batches, then the remainder in halving batches (16, 8, 4, 2, 1 lanes).
  const auto run = [&]<std::size_t LANES>() noexcept {
    while (begin + LANES <= trees.size()) {
      score_batch<Dim>(trees.data() + begin, query, store, table, scores + begin,
                       paths != nullptr ? paths + begin : local.data(),
                       std::make_index_sequence<LANES>());
      begin += LANES;
    }
  };
  run.template operator()<SCORE_BATCH>();
  run.template operator()<8>();
  run.template operator()<4>();
  run.template operator()<2>();
  run.template operator()<1>();
}

}  // namespace

double score_tree(const RandomCutTree& tree, const float* query,
                  const PointStore& store) noexcept {
  NodeRef ref = tree.root();
  if (ref == NO_NODE) {
    return 0.0;
  }
  const InternalNode* nodes = tree.nodes();
  std::array<NodeRef, MAX_TREE_DEPTH> path;
  std::size_t depth = 0;
  while (!RandomCutTree::is_leaf(ref)) {
    path[depth++] = ref;
    const InternalNode& node = nodes[ref];
    ref = node.child[query[node.dim] <= node.cut ? 0 : 1];
  }
  const auto log2_one_plus = [](std::uint32_t m) noexcept {
    return std::log2(1.0 + static_cast<double>(m));
  };
  std::size_t first_outside = 0;
  return finish_score<0>(tree, store, path.data(), depth, ref, store.point(tree.leaf_point(ref)),
                         query, log2_one_plus, first_outside);
}

void score_trees(std::span<const SampledTree> trees, const float* query, const PointStore& store,
                 const double* log2_one_plus, double* scores, ScoredPath* paths) noexcept {
  detail::dispatch_dimension(store.dimension(), [&]<std::size_t Dim>() noexcept {
    score_batches<Dim>(trees, query, store, log2_one_plus, scores, paths);
  });
}

}  // namespace anomstream::forest
