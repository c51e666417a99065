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

// The cut that separates p from the extent (a, b) when a random cut over the box merged
// with p falls outside the box. AWS randomcutforest draws a position uniformly over the
// merged box's summed side lengths and separates iff it falls in a gap between p and
// the box; given that it does, the position is uniform over the gaps. `s` is that
// uniform in [0, 1) and `out` the summed gap length; dimensions are taken in order,
// each with its gap below the box (cut in [p, lo)) then above it (cut in [hi, p)).
template <std::size_t Dim>
Cut cut_in_gap(const float* a, const float* b, const float* p, std::size_t dim_runtime,
               double s, float out) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dim_runtime);
  double position = s * static_cast<double>(out);
  std::size_t last = d;
  bool last_below = false;
  for (std::size_t i = 0; i < d; ++i) {
    const float lo = detail::min_of(a[i], b[i]);
    const float hi = detail::max_of(a[i], b[i]);
    if (p[i] < lo) {
      const float gap = lo - p[i];
      if (position < static_cast<double>(gap)) {
        const float cut = p[i] + static_cast<float>(position);
        // Rounding may reach the box: the gap's lower end always separates.
        return {static_cast<std::uint16_t>(i), cut < lo ? cut : p[i], true};
      }
      position -= static_cast<double>(gap);
      last = i;
      last_below = true;
    } else if (p[i] > hi) {
      const float gap = p[i] - hi;
      if (position < static_cast<double>(gap)) {
        const float cut = hi + static_cast<float>(position);
        return {static_cast<std::uint16_t>(i), cut < p[i] ? cut : hi, true};
      }
      position -= static_cast<double>(gap);
      last = i;
      last_below = false;
    }
  }
  // s*out rounded past the last gap (out is summed in another order): its lower end.
  if (last == d) {
    return {0, 0.0F, false};  // p inside the box: no gap (callers never ask)
  }
  return {static_cast<std::uint16_t>(last),
          last_below ? p[last] : detail::max_of(a[last], b[last]), true};
}

}  // namespace

RandomCutTree::RandomCutTree(std::size_t dimension, std::size_t capacity)
    : dimension_(dimension),
      capacity_(capacity),
      nodes_(capacity),
      leaf_points_(capacity + 1),
      leaf_masses_(capacity + 1) {
  boxes_.reserve((capacity / 2 + 1) * 2 * dimension);
  reset_free_lists();
}

void RandomCutTree::reset_free_lists() noexcept {
  free_node_ = NO_NODE;
  for (std::size_t i = nodes_.size(); i-- > 0;) {
    nodes_[i] = InternalNode{0.0F, 0, 0, {free_node_, NO_NODE}, NO_BOX, 0};
    free_node_ = static_cast<NodeRef>(i);
  }
  free_leaf_ = NO_NODE;
  for (std::size_t i = leaf_points_.size(); i-- > 0;) {
    leaf_points_[i] = free_leaf_;
    leaf_masses_[i] = 0;
    free_leaf_ = static_cast<NodeRef>(i | LEAF_TAG);
  }
  boxes_.clear();
  free_box_ = NO_BOX;
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
  nodes_[ref].box = NO_BOX;
  return ref;
}

void RandomCutTree::free_leaf(NodeRef ref) noexcept {
  const std::size_t leaf = ref & ~LEAF_TAG;
  leaf_points_[leaf] = free_leaf_;
  leaf_masses_[leaf] = 0;
  free_leaf_ = ref;
}

void RandomCutTree::free_node(NodeRef ref) noexcept {
  if (nodes_[ref].box != NO_BOX) {
    free_box(nodes_[ref].box);
  }
  nodes_[ref] = InternalNode{0.0F, 0, 0, {free_node_, NO_NODE}, NO_BOX, 0};
  free_node_ = ref;
}

std::uint16_t RandomCutTree::new_box() noexcept {
  const std::size_t stride = 2 * dimension_;
  if (free_box_ != NO_BOX) {
    const std::uint16_t slot = free_box_;
    std::memcpy(&free_box_, boxes_.data() + slot * stride, sizeof free_box_);
    return slot;
  }
  const std::size_t slots = boxes_.size() / stride;
  if (boxes_.size() == boxes_.capacity()) {
    // A new high-water mark: grow by 1/16 of the sample size (never past one slot per
    // internal node), so a tree in steady state stops allocating.
    const std::size_t wanted = std::min(nodes_.size(), slots + capacity_ / 16 + 1);
    boxes_.reserve(wanted * stride);
  }
  boxes_.resize(boxes_.size() + stride);
  return static_cast<std::uint16_t>(slots);
}

void RandomCutTree::free_box(std::uint16_t slot) noexcept {
  std::memcpy(boxes_.data() + slot * 2 * dimension_, &free_box_, sizeof free_box_);
  free_box_ = slot;
}

template <std::size_t Dim>
bool RandomCutTree::recompute_box(NodeRef ref, const PointStore& store) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  const InternalNode& node = nodes_[ref];
  const Extent a = extent(node.child[0], store);
  const Extent b = extent(node.child[1], store);
  float* out = box_mut(ref);
  return detail::merge_extents<Dim>(out, out + d, a.a, a.b, b.a, b.b, d);
}

template <std::size_t Dim>
bool RandomCutTree::shrink_box(NodeRef ref, const float* removed,
                               const PointStore& store) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  float* lo = box_mut(ref);
  float* hi = lo + d;
  // Only the dimensions where the removed point was the minimum or maximum can change.
  constexpr std::size_t MAX_LISTED = 32;
  std::uint32_t listed[MAX_LISTED];
  std::size_t count = 0;
  const auto list = [&](std::size_t i) noexcept {
    if ((removed[i] == lo[i]) | (removed[i] == hi[i])) {
      if (count < MAX_LISTED) {
        listed[count] = static_cast<std::uint32_t>(i);
      }
      ++count;
    }
  };
  std::size_t i = 0;
  if constexpr (Dim == 0) {
    using Int4 = int __attribute__((vector_size(16)));
    for (; i + 4 <= d; i += 4) {
      const detail::Float4 v = detail::load4(removed + i);
      const Int4 hit = (v == detail::load4(lo + i)) | (v == detail::load4(hi + i));
      if ((hit[0] | hit[1] | hit[2] | hit[3]) != 0) {
        list(i);
        list(i + 1);
        list(i + 2);
        list(i + 3);
      }
    }
  }
  for (; i < d; ++i) {
    list(i);
  }
  if (count > MAX_LISTED) {
    return recompute_box<Dim>(ref, store);
  }
  if (count == 0) {
    return false;
  }
  const InternalNode& node = nodes_[ref];
  const Extent a = extent(node.child[0], store);
  const Extent b = extent(node.child[1], store);
  bool changed = false;
  for (std::size_t j = 0; j < count; ++j) {
    const std::uint32_t i = listed[j];
    const float new_lo = detail::min_of(detail::min_of(a.a[i], a.b[i]), detail::min_of(b.a[i], b.b[i]));
    const float new_hi = detail::max_of(detail::max_of(a.a[i], a.b[i]), detail::max_of(b.a[i], b.b[i]));
    changed |= (new_lo != lo[i]) | (new_hi != hi[i]);
    lo[i] = new_lo;
    hi[i] = new_hi;
  }
  return changed;
}

template <std::size_t Dim>
void RandomCutTree::settle_box(NodeRef ref, const PointStore& store) noexcept {
  InternalNode& node = nodes_[ref];
  const bool two_leaves = is_leaf(node.child[0]) && is_leaf(node.child[1]);
  if (two_leaves && node.box != NO_BOX) {
    free_box(node.box);
    node.box = NO_BOX;
  } else if (!two_leaves && node.box == NO_BOX) {
    const std::uint16_t slot = new_box();
    nodes_[ref].box = slot;
    recompute_box<Dim>(ref, store);
  }
}

void RandomCutTree::refresh_box(NodeRef ref, const PointStore& store) noexcept {
  settle_box<0>(ref, store);
  if (has_box(ref)) {
    recompute_box<0>(ref, store);
  }
}

template <std::size_t Dim>
NodeRef RandomCutTree::split(NodeRef sibling, std::uint32_t sibling_mass, std::uint32_t index,
                             const float* values, std::uint16_t dim, float cut,
                             const PointStore& store) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  const NodeRef fresh = new_node();
  const NodeRef leaf = new_leaf(index, 1);
  if (!is_leaf(sibling)) {
    // Above an internal node: the new node's box is the sibling's box and the point.
    const std::uint16_t slot = new_box();  // may move the pool: take pointers after
    nodes_[fresh].box = slot;
    const Extent e = extent(sibling, store);
    float* box = box_mut(fresh);
    detail::merge_extents<Dim>(box, box + d, e.a, e.b, values, values, d);
  }
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
                                              std::size_t depth,
                                              const PointStore& store) const noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  while (depth > 0) {
    const NodeRef ref = path[depth - 1];
    float out = 0.0F;
    if (has_box(ref)) {
      const float* b = box(ref);
      out = detail::out_and_range<Dim>(b, b + d, values, d).out;
    } else {
      const Extent e = extent(ref, store);
      out = detail::out_and_range_extent<Dim>(e.a, e.b, values, d).out;
    }
    if (!(out > 0.0F)) {
      break;
    }
    --depth;
  }
  return depth;
}

std::size_t RandomCutTree::first_outside(const float* values, const NodeRef* path,
                                         std::size_t depth, const PointStore& store) const noexcept {
  return detail::dispatch_dimension(dimension_, [&]<std::size_t Dim>() noexcept {
    return first_outside_impl<Dim>(values, path, depth, store);
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
  // Top-down from there: at each node a random cut over (box U p) separates p from the
  // box with probability out/(range + out) (one uniform decides it, and if it does,
  // the same uniform rescaled places the cut in the gap); otherwise the box grows to
  // take p and the walk continues.
  NodeRef fresh = NO_NODE;
  std::size_t k = first_outside;
  for (; k < depth; ++k) {
    const NodeRef ref = path[k];
    const Extent e = extent(ref, store);
    const detail::OutAndRange r = nodes_[ref].box != NO_BOX
                                      ? detail::out_and_range<Dim>(e.a, e.b, values, d)
                                      : detail::out_and_range_extent<Dim>(e.a, e.b, values, d);
    const double separation =
        static_cast<double>(r.out) / (static_cast<double>(r.range) + static_cast<double>(r.out));
    const double u = detail::uniform_open(rng);
    if (u < separation) {
      const Cut cut = cut_in_gap<Dim>(e.a, e.b, values, d, u / separation, r.out);
      fresh = split<Dim>(ref, nodes_[ref].mass, index, values, cut.dim, cut.value, store);
      break;
    }
    if (nodes_[ref].box != NO_BOX) {
      float* b = box_mut(ref);
      detail::expand<Dim>(b, b + d, values, d);
    }
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
    // A leaf's box is its point: every cut between the two separates them.
    const float out = detail::out_and_range_extent<Dim>(q, q, values, d).out;
    const Cut cut = cut_in_gap<Dim>(q, q, values, d, detail::uniform_open(rng), out);
    fresh = split<Dim>(leaf, leaf_masses_[slot], index, values, cut.dim, cut.value, store);
  }
  const NodeRef replaced = k == depth ? leaf : path[k];
  if (k == 0) {
    root_ = fresh;
  } else {
    InternalNode& parent = nodes_[path[k - 1]];
    parent.child[parent.child[0] == replaced ? 0 : 1] = fresh;
    if (k == depth) {
      // The split leaf's parent now has an internal child: it needs a stored box.
      settle_box<Dim>(path[k - 1], store);
    }
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
  return insert_on_path(path.data(), depth, first_outside(values, path.data(), depth, store),
                        leaf, index, values, store, rng);
}

template <std::size_t Dim>
bool RandomCutTree::erase_impl(std::uint32_t index, const float* values,
                               const PointStore& store) noexcept {
  const std::size_t d = detail::dim_of<Dim>(dimension_);
  std::array<NodeRef, MAX_TREE_DEPTH> path;
  std::size_t depth = 0;
  const NodeRef ref = descend(values, path.data(), depth);
  if (ref == NO_NODE) {
    return false;
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
    settle_box<Dim>(path[depth - 2], store);  // two leaf children now: no stored box
  }
  free_node(parent);
  // Shrink the ancestors' boxes. A box changes only if the point lay on its boundary,
  // and once one box is unchanged every box above it is too. A node without a stored
  // box (two leaf children) has nothing to shrink.
  for (std::size_t k = depth - 1; k-- > 0;) {
    if (!has_box(path[k])) {
      continue;
    }
    if (!shrink_box<Dim>(path[k], values, store)) {
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

std::size_t RandomCutTree::memory_bytes() const noexcept {
  return nodes_.capacity() * sizeof(InternalNode) + boxes_.capacity() * sizeof(float) +
         leaf_points_.capacity() * sizeof(std::uint32_t) +
         leaf_masses_.capacity() * sizeof(std::uint16_t);
}

}  // namespace anomstream::forest
