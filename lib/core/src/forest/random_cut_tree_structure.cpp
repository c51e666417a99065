// RandomCutTree's invariant check and its snapshot form (pre-order structure).

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "anomstream/forest/forest_snapshot.hpp"
#include "anomstream/forest/random_cut_tree.hpp"

namespace anomstream::forest {

namespace {

std::unexpected<Error> corrupt(const std::string& field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, field, std::move(bound));
}

std::string node_field(NodeRef ref, const char* what) {
  const bool leaf = RandomCutTree::is_leaf(ref);
  return std::string(leaf ? "leaf[" : "node[") +
         std::to_string(leaf ? (ref & ~LEAF_TAG) : ref) + "]." + what;
}

}  // namespace

Status RandomCutTree::validate(const PointStore& store) const {
  const std::size_t d = dimension_;
  std::vector<std::uint8_t> seen_nodes(nodes_.size(), 0);
  std::vector<std::uint8_t> seen_leaves(leaf_points_.size(), 0);
  std::vector<float> boxes(nodes_.size() * 2 * d);
  std::vector<std::uint32_t> masses(nodes_.size(), 0);
  std::vector<std::uint8_t> seen_slots(box_slots(), 0);
  std::uint64_t leaf_mass_total = 0;
  std::size_t internal_count = 0;
  std::size_t leaf_count = 0;

  // Post-order walk: (ref, children_done).
  std::vector<std::pair<NodeRef, bool>> stack;
  if (root_ != NO_NODE) {
    stack.emplace_back(root_, false);
  }
  while (!stack.empty()) {
    auto [ref, done] = stack.back();
    stack.pop_back();
    if (is_leaf(ref)) {
      const std::size_t leaf = ref & ~LEAF_TAG;
      if (leaf >= leaf_points_.size() || seen_leaves[leaf] != 0) {
        return corrupt(node_field(ref, "reference"), "every leaf reachable exactly once");
      }
      seen_leaves[leaf] = 1;
      ++leaf_count;
      if (leaf_masses_[leaf] == 0) {
        return corrupt(node_field(ref, "mass"), "must be >= 1");
      }
      const std::uint32_t point = leaf_points_[leaf];
      if (point >= store.slots() || store.ref_count(point) == 0) {
        return corrupt(node_field(ref, "point"), "must be a live point of the store");
      }
      leaf_mass_total += leaf_masses_[leaf];
      continue;
    }
    if (ref >= nodes_.size()) {
      return corrupt(node_field(ref, "reference"), "must be < " + std::to_string(nodes_.size()));
    }
    const InternalNode& node = nodes_[ref];
    if (!done) {
      if (seen_nodes[ref] != 0) {
        return corrupt(node_field(ref, "reference"), "every node reachable exactly once");
      }
      seen_nodes[ref] = 1;
      ++internal_count;
      if (node.dim >= d) {
        return corrupt(node_field(ref, "cut_dimension"), "must be < " + std::to_string(d));
      }
      stack.emplace_back(ref, true);
      stack.emplace_back(node.child[1], false);
      stack.emplace_back(node.child[0], false);
      continue;
    }
    // Children are done: derive this node's box and mass and compare.
    const float* lo[2];
    const float* hi[2];
    std::uint32_t mass = 0;
    for (int c = 0; c < 2; ++c) {
      const NodeRef child = node.child[c];
      if (is_leaf(child)) {
        lo[c] = store.point(leaf_point(child));
        hi[c] = lo[c];
        mass += leaf_mass(child);
      } else {
        lo[c] = boxes.data() + static_cast<std::size_t>(child) * 2 * d;
        hi[c] = lo[c] + d;
        mass += masses[child];
      }
    }
    float* derived = boxes.data() + static_cast<std::size_t>(ref) * 2 * d;
    for (std::size_t i = 0; i < d; ++i) {
      derived[i] = std::min(lo[0][i], lo[1][i]);
      derived[d + i] = std::max(hi[0][i], hi[1][i]);
    }
    masses[ref] = mass;
    const bool two_leaves = is_leaf(node.child[0]) && is_leaf(node.child[1]);
    if (two_leaves != (node.box == NO_BOX)) {
      return corrupt(node_field(ref, "box"),
                     "stored exactly when a child is an internal node");
    }
    if (node.box != NO_BOX) {
      if (node.box >= seen_slots.size() || seen_slots[node.box] != 0) {
        return corrupt(node_field(ref, "box"), "a slot of the pool used by one node");
      }
      seen_slots[node.box] = 1;
      if (!std::equal(derived, derived + 2 * d, box(ref))) {
        return corrupt(node_field(ref, "box"), "must equal the min/max of the points below");
      }
    }
    if (mass != node.mass) {
      return corrupt(node_field(ref, "mass"), "must equal the sum of its children's masses");
    }
    const float cut = node.cut;
    if (!(hi[0][node.dim] <= cut && cut < lo[1][node.dim])) {
      return corrupt(node_field(ref, "cut"),
                     "must satisfy max(left) <= cut < min(right) in its dimension");
    }
    if (!(derived[node.dim] <= cut && cut < derived[d + node.dim])) {
      return corrupt(node_field(ref, "cut"), "must lie inside the node's box");
    }
  }
  if (leaf_mass_total != mass_) {
    return corrupt("mass", "must equal the sum of the leaf masses");
  }
  // Everything unreachable must be on a free list.
  std::size_t free_nodes = 0;
  for (NodeRef ref = free_node_; ref != NO_NODE; ref = nodes_[ref].child[0]) {
    if (ref >= nodes_.size() || seen_nodes[ref] != 0 || ++free_nodes > nodes_.size()) {
      return corrupt("free_nodes", "must hold exactly the unused nodes");
    }
  }
  std::size_t free_leaves = 0;
  for (NodeRef ref = free_leaf_; ref != NO_NODE;
       ref = static_cast<NodeRef>(leaf_points_[ref & ~LEAF_TAG])) {
    const std::size_t leaf = ref & ~LEAF_TAG;
    if (!is_leaf(ref) || leaf >= leaf_points_.size() || seen_leaves[leaf] != 0 ||
        ++free_leaves > leaf_points_.size()) {
      return corrupt("free_leaves", "must hold exactly the unused leaves");
    }
  }
  std::size_t free_slots = 0;
  for (std::uint16_t slot = free_box_; slot != NO_BOX;) {
    if (slot >= seen_slots.size() || seen_slots[slot] != 0 || ++free_slots > seen_slots.size()) {
      return corrupt("free_boxes", "must hold exactly the unused box slots");
    }
    seen_slots[slot] = 1;
    std::memcpy(&slot, boxes_.data() + static_cast<std::size_t>(slot) * 2 * d, sizeof slot);
  }
  if (std::count(seen_slots.begin(), seen_slots.end(), 0) != 0) {
    return corrupt("boxes", "every box slot must be stored or free");
  }
  if (internal_count + free_nodes != nodes_.size() ||
      leaf_count + free_leaves != leaf_points_.size()) {
    return corrupt("nodes", "every node must be reachable or free");
  }
  if (root_ != NO_NODE && internal_count + 1 != leaf_count) {
    return corrupt("nodes", "a binary tree has one more leaf than internal nodes");
  }
  return {};
}

void RandomCutTree::export_structure(TreeSnapshot& out,
                                     std::span<const std::uint32_t> ids) const {
  out.shape.clear();
  out.cut_dimensions.clear();
  out.cut_values.clear();
  out.leaf_points.clear();
  out.leaf_masses.clear();
  if (root_ == NO_NODE) {
    return;
  }
  std::vector<NodeRef> stack{root_};
  while (!stack.empty()) {
    const NodeRef ref = stack.back();
    stack.pop_back();
    if (is_leaf(ref)) {
      out.shape.push_back(0);
      out.leaf_points.push_back(ids[leaf_point(ref)]);
      out.leaf_masses.push_back(leaf_mass(ref));
    } else {
      const InternalNode& node = nodes_[ref];
      out.shape.push_back(1);
      out.cut_dimensions.push_back(node.dim);
      out.cut_values.push_back(node.cut);
      stack.push_back(node.child[1]);
      stack.push_back(node.child[0]);
    }
  }
}

Status RandomCutTree::import_structure(const TreeSnapshot& in,
                                       std::span<const std::uint32_t> indices,
                                       const PointStore& store) {
  reset_free_lists();
  const std::size_t internal_total = in.cut_dimensions.size();
  if (in.cut_values.size() != internal_total || in.leaf_masses.size() != in.leaf_points.size() ||
      in.shape.size() != internal_total + in.leaf_points.size()) {
    return corrupt("shape", "node counts of shape, cuts and leaves must agree");
  }
  if (in.leaf_points.size() > capacity_) {
    return corrupt("leaf_points", "at most sample_size leaves");
  }
  // Slots waiting for a child: (parent, side); parent NO_NODE is the root.
  std::vector<std::pair<NodeRef, int>> pending{{NO_NODE, 0}};
  std::vector<NodeRef> preorder_internal;
  preorder_internal.reserve(internal_total);
  std::size_t next_internal = 0;
  std::size_t next_leaf = 0;
  std::uint64_t total_mass = 0;
  for (const std::uint8_t kind : in.shape) {
    if (pending.empty()) {
      return corrupt("shape", "must describe exactly one binary tree");
    }
    const auto [parent, side] = pending.back();
    pending.pop_back();
    NodeRef ref = NO_NODE;
    // The totals agree (checked above), but the shape may still hold more 1s than there
    // are cuts, or more 0s than leaves: count each before reading its arrays.
    if (kind == 1) {
      if (next_internal == internal_total) {
        return corrupt("shape", "more internal nodes than cut_dimensions");
      }
      if (preorder_internal.size() + 1 >= capacity_) {
        return corrupt("shape", "at most sample_size - 1 internal nodes");
      }
      ref = new_node();
      InternalNode& node = nodes_[ref];
      node.dim = in.cut_dimensions[next_internal];
      node.cut = in.cut_values[next_internal];
      ++next_internal;
      node.child[0] = NO_NODE;
      node.child[1] = NO_NODE;
      preorder_internal.push_back(ref);
      pending.emplace_back(ref, 1);
      pending.emplace_back(ref, 0);
    } else if (kind == 0) {
      if (next_leaf == in.leaf_points.size()) {
        return corrupt("shape", "more leaves than leaf_points");
      }
      const std::uint32_t id = in.leaf_points[next_leaf];
      const std::uint32_t mass = in.leaf_masses[next_leaf];
      ++next_leaf;
      if (id >= indices.size()) {
        return corrupt("leaf_points", "must be < the number of points");
      }
      if (mass == 0 || mass > capacity_) {
        return corrupt("leaf_masses", "must be in [1, sample_size]");
      }
      ref = new_leaf(indices[id], mass);
      total_mass += mass;
    } else {
      return corrupt("shape", "entries must be 0 (leaf) or 1 (internal)");
    }
    if (parent == NO_NODE) {
      root_ = ref;
    } else {
      nodes_[parent].child[side] = ref;
    }
  }
  if (!pending.empty() && !(in.shape.empty() && pending.size() == 1)) {
    return corrupt("shape", "must describe exactly one binary tree");
  }
  if (total_mass > capacity_) {
    return corrupt("leaf_masses", "must sum to at most sample_size");
  }
  for (const NodeRef ref : preorder_internal) {
    if (nodes_[ref].dim >= dimension_) {
      return corrupt("cut_dimensions", "must be < dimension");
    }
  }
  // Children follow their parent in pre-order: derive boxes and masses in reverse.
  for (auto it = preorder_internal.rbegin(); it != preorder_internal.rend(); ++it) {
    InternalNode& node = nodes_[*it];
    node.mass = static_cast<std::uint16_t>(mass_of(node.child[0]) + mass_of(node.child[1]));
    refresh_box(*it, store);
  }
  mass_ = static_cast<std::uint32_t>(total_mass);
  return validate(store);
}

}  // namespace anomstream::forest
