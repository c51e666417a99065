#include "anomstream/forest/random_cut_tree.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "anomstream/forest/detail/box_ops.hpp"
#include "anomstream/forest/detail/uniform.hpp"

namespace anomstream::forest {

namespace {

struct Cut {
  std::uint16_t dim;
  float value;
  bool separates;
};

// AWS randomcutforest's Cut::random_cut_and_separation: a position drawn uniformly over
// the summed side lengths of (box U p) picks a dimension and a value; the cut separates
// p from the box iff it falls in the gap between them. `total` is that summed length.
template <std::size_t Dim>
Cut choose_cut(const float* lo, const float* hi, const float* p, std::size_t dim_runtime,
               double factor) noexcept {
  const std::size_t dimension = detail::dim_of<Dim>(dim_runtime);
  double remaining = factor * detail::merged_range<Dim>(lo, hi, p, dimension);
  std::size_t dim = dimension;
  std::size_t last_positive = 0;
  float value = 0.0F;
  for (std::size_t i = 0; i < dimension; ++i) {
    const float minv = detail::min_of(lo[i], p[i]);
    const float maxv = detail::max_of(hi[i], p[i]);
    const float gap = maxv - minv;
    if (gap > 0.0F) {
      last_positive = i;
    }
    if (static_cast<double>(gap) > remaining) {
      value = minv + static_cast<float>(remaining);
      // Rounding can land on or beyond an edge; the reference falls back to the minimum.
      if (value <= minv || value >= maxv) {
        value = minv;
      }
      dim = i;
      break;
    }
    remaining -= static_cast<double>(gap);
  }
  if (dim == dimension) {
    // factor*total rounded past the last side (the total is summed in another order):
    // take the last side's minimum.
    dim = last_positive;
    value = detail::min_of(lo[dim], p[dim]);
  }
  const bool separates = (p[dim] <= value && value < lo[dim]) || (hi[dim] <= value && value < p[dim]);
  return {static_cast<std::uint16_t>(dim), value, separates};
}

}  // namespace

RandomCutTree::RandomCutTree(std::size_t dimension, std::size_t capacity)
    : dimension_(dimension),
      capacity_(capacity),
      nodes_(capacity),
      boxes_(capacity * 2 * dimension),
      leaf_points_(capacity + 1),
      leaf_masses_(capacity + 1) {
  reset_free_lists();
}

void RandomCutTree::reset_free_lists() noexcept {
  free_node_ = NO_NODE;
  for (std::size_t i = nodes_.size(); i-- > 0;) {
    nodes_[i] = InternalNode{0.0F, 0, 0, {free_node_, NO_NODE}};
    free_node_ = static_cast<NodeRef>(i);
  }
  free_leaf_ = NO_NODE;
  for (std::size_t i = leaf_points_.size(); i-- > 0;) {
    leaf_points_[i] = free_leaf_;
    leaf_masses_[i] = 0;
    free_leaf_ = static_cast<NodeRef>(i | LEAF_TAG);
  }
  root_ = NO_NODE;
  mass_ = 0;
}

NodeRef RandomCutTree::new_leaf(std::uint32_t point, std::uint32_t mass) noexcept {
  const NodeRef ref = free_leaf_;
  const std::size_t leaf = ref & ~LEAF_TAG;
  free_leaf_ = static_cast<NodeRef>(leaf_points_[leaf]);
  leaf_points_[leaf] = point;
  leaf_masses_[leaf] = static_cast<std::uint16_t>(mass);
  return ref;
}

NodeRef RandomCutTree::new_node() noexcept {
  const NodeRef ref = free_node_;
  free_node_ = nodes_[ref].child[0];
  return ref;
}

void RandomCutTree::free_leaf(NodeRef ref) noexcept {
  const std::size_t leaf = ref & ~LEAF_TAG;
  leaf_points_[leaf] = free_leaf_;
  leaf_masses_[leaf] = 0;
  free_leaf_ = ref;
}

void RandomCutTree::free_node(NodeRef ref) noexcept {
  nodes_[ref] = InternalNode{0.0F, 0, 0, {free_node_, NO_NODE}};
  free_node_ = ref;
}

template <std::size_t Dim>
NodeRef RandomCutTree::split(NodeRef sibling, const float* lo, const float* hi,
                             std::uint32_t sibling_mass, std::uint32_t index,
                             const float* values, std::uint16_t dim, float cut) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  const NodeRef fresh = new_node();
  const NodeRef leaf = new_leaf(index, 1);
  float* box = box_mut(fresh);
  detail::merge_boxes<Dim>(box, box + d, lo, hi, values, values, d);
  InternalNode& node = nodes_[fresh];
  node.cut = cut;
  node.dim = dim;
  node.mass = static_cast<std::uint16_t>(sibling_mass + 1);
  const bool point_left = values[dim] <= cut;
  node.child[0] = point_left ? leaf : sibling;
  node.child[1] = point_left ? sibling : leaf;
  return fresh;
}

NodeRef RandomCutTree::descend(const float* values, NodeRef* path,
                               std::size_t& depth) const noexcept {
  depth = 0;
  NodeRef ref = root_;
  if (ref == NO_NODE) {
    return NO_NODE;
  }
  while (!is_leaf(ref)) {
    path[depth++] = ref;
    const InternalNode& node = nodes_[ref];
    ref = node.child[values[node.dim] <= node.cut ? 0 : 1];
  }
  return ref;
}

template <std::size_t Dim>
std::size_t RandomCutTree::first_outside_impl(const float* values, const NodeRef* path,
                                              std::size_t depth) const noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  while (depth > 0) {
    const float* b = box(path[depth - 1]);
    if (!detail::outside<Dim>(b, b + d, values, d)) {
      break;
    }
    --depth;
  }
  return depth;
}

std::size_t RandomCutTree::first_outside(const float* values, const NodeRef* path,
                                         std::size_t depth) const noexcept {
  return detail::dispatch_dimension(dimension_, [&]<std::size_t Dim>() noexcept {
    return first_outside_impl<Dim>(values, path, depth);
  });
}

template <std::size_t Dim>
std::uint32_t RandomCutTree::insert_impl(const NodeRef* path, std::size_t depth,
                                         std::size_t first_outside, NodeRef leaf,
                                         std::uint32_t index, const float* values,
                                         const PointStore& store, Xoshiro256& rng) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  ++mass_;
  if (leaf == NO_NODE) {
    root_ = new_leaf(index, 1);
    return index;
  }
  // Boxes above `first_outside` contain the point: no cut there can separate it, so the
  // top-down insertion just passes through them (and their boxes do not change).
  for (std::size_t k = 0; k < first_outside; ++k) {
    ++nodes_[path[k]].mass;
  }
  NodeRef fresh = NO_NODE;
  std::size_t k = first_outside;
  for (; k < depth; ++k) {
    const NodeRef ref = path[k];
    float* b = box_mut(ref);
    const Cut cut = choose_cut<Dim>(b, b + d, values, d, detail::uniform_open(rng));
    if (cut.separates) {
      fresh = split<Dim>(ref, b, b + d, nodes_[ref].mass, index, values, cut.dim, cut.value);
      break;
    }
    detail::expand<Dim>(b, b + d, values, d);
    ++nodes_[ref].mass;
  }
  if (k == depth) {
    const std::size_t slot = leaf & ~LEAF_TAG;
    const std::uint32_t existing = leaf_points_[slot];
    const float* q = store.point(existing);
    if (detail::equal_points<Dim>(q, values, d)) {
      ++leaf_masses_[slot];
      return existing;
    }
    Cut cut = choose_cut<Dim>(q, q, values, d, detail::uniform_open(rng));
    if (!cut.separates) {
      // Unreachable for distinct points (the chosen side has a positive gap and the
      // cut lies in it); kept so a rounding corner can never merge two points.
      std::size_t i = 0;
      while (q[i] == values[i]) {
        ++i;
      }
      cut = {static_cast<std::uint16_t>(i), std::min(q[i], values[i]), true};
    }
    fresh = split<Dim>(leaf, q, q, leaf_masses_[slot], index, values, cut.dim, cut.value);
  }
  const NodeRef replaced = k == depth ? leaf : path[k];
  if (k == 0) {
    root_ = fresh;
  } else {
    InternalNode& parent = nodes_[path[k - 1]];
    parent.child[parent.child[0] == replaced ? 0 : 1] = fresh;
  }
  return index;
}

std::uint32_t RandomCutTree::insert_on_path(const NodeRef* path, std::size_t depth,
                                            std::size_t first_outside, NodeRef leaf,
                                            std::uint32_t index, const float* values,
                                            const PointStore& store, Xoshiro256& rng) noexcept {
  return detail::dispatch_dimension(dimension_, [&]<std::size_t Dim>() noexcept {
    return insert_impl<Dim>(path, depth, first_outside, leaf, index, values, store, rng);
  });
}

std::uint32_t RandomCutTree::insert(std::uint32_t index, const float* values,
                                    const PointStore& store, Xoshiro256& rng) noexcept {
  std::array<NodeRef, MAX_TREE_DEPTH> path;
  std::size_t depth = 0;
  const NodeRef leaf = descend(values, path.data(), depth);
  return insert_on_path(path.data(), depth, first_outside(values, path.data(), depth), leaf,
                        index, values, store, rng);
}

template <std::size_t Dim>
bool RandomCutTree::recompute_box(NodeRef ref, const PointStore& store) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  const InternalNode& node = nodes_[ref];
  const NodeRef a = node.child[0];
  const NodeRef b = node.child[1];
  const float* a_lo = is_leaf(a) ? store.point(leaf_point(a)) : box(a);
  const float* a_hi = is_leaf(a) ? a_lo : a_lo + d;
  const float* b_lo = is_leaf(b) ? store.point(leaf_point(b)) : box(b);
  const float* b_hi = is_leaf(b) ? b_lo : b_lo + d;
  float* out = box_mut(ref);
  return detail::merge_boxes<Dim>(out, out + d, a_lo, a_hi, b_lo, b_hi, d);
}

template <std::size_t Dim>
bool RandomCutTree::erase_impl(std::uint32_t index, const float* values,
                               const PointStore& store) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  if (root_ == NO_NODE) {
    return false;
  }
  std::array<NodeRef, MAX_TREE_DEPTH> path;
  std::size_t depth = 0;
  NodeRef ref = root_;
  while (!is_leaf(ref)) {
    path[depth++] = ref;
    const InternalNode& node = nodes_[ref];
    ref = node.child[values[node.dim] <= node.cut ? 0 : 1];
  }
  const std::size_t leaf = ref & ~LEAF_TAG;
  if (leaf_points_[leaf] != index &&
      !detail::equal_points<Dim>(store.point(leaf_points_[leaf]), values, d)) {
    return false;
  }
  for (std::size_t i = 0; i < depth; ++i) {
    --nodes_[path[i]].mass;
  }
  --mass_;
  if (--leaf_masses_[leaf] > 0) {
    return true;  // an equal point remains: no box changes
  }
  free_leaf(ref);
  if (depth == 0) {
    root_ = NO_NODE;
    return true;
  }
  const NodeRef parent = path[depth - 1];
  const InternalNode& parent_node = nodes_[parent];
  const NodeRef sibling = parent_node.child[parent_node.child[0] == ref ? 1 : 0];
  if (depth == 1) {
    root_ = sibling;
  } else {
    InternalNode& grand = nodes_[path[depth - 2]];
    grand.child[grand.child[0] == parent ? 0 : 1] = sibling;
  }
  free_node(parent);
  // Shrink the ancestors' boxes. A box changes only if the point lay on its boundary,
  // and once one box is unchanged every box above it is too.
  for (std::size_t k = depth - 1; k-- > 0;) {
    const float* b = box(path[k]);
    if (!detail::on_boundary<Dim>(b, b + d, values, d) || !recompute_box<Dim>(path[k], store)) {
      break;
    }
  }
  return true;
}

bool RandomCutTree::erase(std::uint32_t index, const float* values,
                          const PointStore& store) noexcept {
  return detail::dispatch_dimension(dimension_, [&]<std::size_t Dim>() noexcept {
    return erase_impl<Dim>(index, values, store);
  });
}

void RandomCutTree::refresh_box(NodeRef ref, const PointStore& store) noexcept {
  recompute_box<0>(ref, store);
}

std::size_t RandomCutTree::memory_bytes() const noexcept {
  return nodes_.capacity() * sizeof(InternalNode) + boxes_.capacity() * sizeof(float) +
         leaf_points_.capacity() * sizeof(std::uint32_t) +
         leaf_masses_.capacity() * sizeof(std::uint16_t);
}

}  // namespace anomstream::forest
