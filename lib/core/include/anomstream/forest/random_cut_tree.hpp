#pragma once
// RandomCutTree: one random cut tree over a sample of points (Guha, Mishra, Roy &
// Schrijvers, "Robust Random Cut Forest Based Anomaly Detection on Streams", ICML 2016).
//
// Each internal node splits its bounding box at a cut chosen with probability
// proportional to the box's side lengths; a point goes left iff point[dim] <= cut.
// `insert` and `erase` are the paper's streaming operations, so after any sequence of
// them the tree has the distribution of a tree built from its current sample: insert
// walks down from the root and, at each node whose box does not contain the point,
// splits there with the probability that a cut drawn on the box merged with the point
// separates them (out/(range + out)), the cut then uniform over the gap; erase removes
// the leaf, promotes its sibling and shrinks the ancestors' boxes in the dimensions
// where the point was extreme. Equal points share one leaf whose mass counts them (AWS
// randomcutforest's duplicate leaves). Insertion draws cuts only below the deepest box
// that already contains the point (found from the leaf up). Storage is index-based:
// 16-byte internal nodes (cut value, cut dimension, mass, two 16-bit child references
// with a leaf tag bit, a box slot), a leaf's point index and mass in 6 bytes, and exact
// float32 bounding boxes (the reference's bounding-box cache at fraction 1) in a pool
// of 8*D-byte slots, except for nodes whose two children are leaves: their box is the
// two points' (an Extent), derived when needed. About 3/4 of the nodes store a box in
// steady state. Memory per tree: about sample_size*(16 + 6) bytes plus 8*D bytes per
// stored box (at most sample_size). Time: insert and erase O(depth*D), depth ~
// 2*ln(sample_size) on typical data. Nodes and leaves are allocated once; the box pool
// grows only to a new high-water mark of stored boxes. Failure modes: `erase` of a point
// the tree does not hold returns false and changes nothing;
// `validate` reports any broken invariant as ErrorCode::corrupt_snapshot.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/random.hpp"
#include "anomstream/forest/point_store.hpp"

namespace anomstream::forest {

struct TreeSnapshot;

// Reference to a node: an internal node index, or LEAF_TAG | leaf index.
using NodeRef = std::uint16_t;
inline constexpr NodeRef NO_NODE = 0xFFFF;
inline constexpr NodeRef LEAF_TAG = 0x8000;
// Longest root-to-leaf path a tree of MAX_SAMPLE_SIZE leaves can have, plus one.
inline constexpr std::size_t MAX_TREE_DEPTH = 2048;

// Box slot of a node that stores none (both children are leaves).
inline constexpr std::uint16_t NO_BOX = 0xFFFF;

struct InternalNode {
  float cut;
  std::uint16_t dim;
  std::uint16_t mass;
  NodeRef child[2];  // [0] holds points with value[dim] <= cut
  std::uint16_t box;  // slot in the box pool, NO_BOX when both children are leaves
  std::uint16_t reserved;
};
static_assert(sizeof(InternalNode) == 16);

// A box given as two arrays: [min(a, b), max(a, b)] per dimension. A stored box is
// (min, max), a leaf (p, p), a node whose children are both leaves (p, q).
struct Extent {
  const float* a;
  const float* b;
};

class RandomCutTree {
 public:
  RandomCutTree() = default;
  // capacity: the sample size (at most that many points, counted with multiplicity).
  RandomCutTree(std::size_t dimension, std::size_t capacity);

  // Inserts point `index` (coordinates `values`). Returns the index the tree now holds
  // for it: `index`, or that of an equal point already in a leaf (whose mass grows).
  // mass() <= capacity(): a full tree takes one more point, so a sampler may insert the
  // new point before erasing the one it evicts.
  std::uint32_t insert(std::uint32_t index, const float* values, const PointStore& store,
                       Xoshiro256& rng) noexcept;
  // The same insertion along a path found by `descend`, with `first_outside` as returned
  // by `first_outside` (score_visitor computes both while scoring, so a score followed
  // by an update walks the tree once).
  std::uint32_t insert_on_path(const NodeRef* path, std::size_t depth, std::size_t first_outside,
                               NodeRef leaf, std::uint32_t index, const float* values,
                               const PointStore& store, Xoshiro256& rng) noexcept;
  // Follows the cuts from the root with `values`: path[0..depth) gets the internal nodes,
  // the leaf reached is returned (NO_NODE for an empty tree).
  NodeRef descend(const float* values, NodeRef* path, std::size_t& depth) const noexcept;
  // For a path from `descend`: the smallest k such that no box of path[k..depth) contains
  // `values` (every box above contains it, since boxes nest).
  [[nodiscard]] std::size_t first_outside(const float* values, const NodeRef* path,
                                          std::size_t depth, const PointStore& store) const noexcept;
  // Removes one copy of point `index` (coordinates `values`); false if absent.
  bool erase(std::uint32_t index, const float* values, const PointStore& store) noexcept;

  [[nodiscard]] static bool is_leaf(NodeRef ref) noexcept { return (ref & LEAF_TAG) != 0; }
  [[nodiscard]] NodeRef root() const noexcept { return root_; }
  [[nodiscard]] bool empty() const noexcept { return root_ == NO_NODE; }
  // Points held, counted with multiplicity.
  [[nodiscard]] std::uint32_t mass() const noexcept { return mass_; }
  [[nodiscard]] std::size_t dimension() const noexcept { return dimension_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  [[nodiscard]] const InternalNode& node(NodeRef ref) const noexcept { return nodes_[ref]; }
  [[nodiscard]] const InternalNode* nodes() const noexcept { return nodes_.data(); }
  // True when an internal node stores its box (not both children leaves).
  [[nodiscard]] bool has_box(NodeRef ref) const noexcept { return nodes_[ref].box != NO_BOX; }
  // min[0..D) followed by max[0..D) of an internal node's stored box; has_box(ref).
  [[nodiscard]] const float* box(NodeRef ref) const noexcept {
    return boxes_.data() + static_cast<std::size_t>(nodes_[ref].box) * 2 * dimension_;
  }
  // The box of any node (leaf, stored, or derived from two leaves).
  [[nodiscard]] Extent extent(NodeRef ref, const PointStore& store) const noexcept {
    if (is_leaf(ref)) {
      const float* p = store.point(leaf_point(ref));
      return {p, p};
    }
    const InternalNode& n = nodes_[ref];
    if (n.box != NO_BOX) {
      const float* b = box(ref);
      return {b, b + dimension_};
    }
    return {store.point(leaf_point(n.child[0])), store.point(leaf_point(n.child[1]))};
  }
  [[nodiscard]] std::uint32_t leaf_point(NodeRef ref) const noexcept {
    return leaf_points_[ref & ~LEAF_TAG];
  }
  [[nodiscard]] std::uint32_t leaf_mass(NodeRef ref) const noexcept {
    return leaf_masses_[ref & ~LEAF_TAG];
  }
  // Mass of any node.
  [[nodiscard]] std::uint32_t mass_of(NodeRef ref) const noexcept {
    return is_leaf(ref) ? leaf_mass(ref) : nodes_[ref].mass;
  }

  // Calls f(point_index, mass) for every leaf, in pre-order.
  template <class F>
  void for_each_leaf(F&& f) const;

  // Checks every structural invariant: boxes equal the min/max of the points below,
  // masses add up, cuts lie inside the box and separate the children, every node is
  // reachable exactly once or free. ErrorCode::corrupt_snapshot names the first failure.
  [[nodiscard]] Status validate(const PointStore& store) const;

  // Pre-order structure for snapshots; `ids` maps store indices to snapshot point ids.
  void export_structure(TreeSnapshot& out, std::span<const std::uint32_t> ids) const;
  // Rebuilds from a snapshot's pre-order structure; `indices` maps snapshot point ids to
  // store indices. Boxes and masses are derived; the result is validated.
  [[nodiscard]] Status import_structure(const TreeSnapshot& in,
                                        std::span<const std::uint32_t> indices,
                                        const PointStore& store);

  // Box slots allocated (stored boxes plus free slots).
  [[nodiscard]] std::size_t box_slots() const noexcept {
    return dimension_ == 0 ? 0 : boxes_.size() / (2 * dimension_);
  }
  // Bytes of the node, box and leaf buffers, without the object itself.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  float* box_mut(NodeRef ref) noexcept {
    return boxes_.data() + static_cast<std::size_t>(nodes_[ref].box) * 2 * dimension_;
  }
  // Box pool: a free slot's first value holds the next free slot.
  std::uint16_t new_box() noexcept;
  void free_box(std::uint16_t slot) noexcept;
  // Gives `ref` a stored box iff it is not a node with two leaf children, computing it
  // from the children when it gains one.
  template <std::size_t Dim>
  void settle_box(NodeRef ref, const PointStore& store) noexcept;
  NodeRef new_leaf(std::uint32_t point, std::uint32_t mass) noexcept;
  NodeRef new_node() noexcept;
  void free_leaf(NodeRef ref) noexcept;
  void free_node(NodeRef ref) noexcept;
  void reset_free_lists() noexcept;
  // Kernels instantiated per compile-time dimension (0 = runtime), see detail/box_ops.hpp.
  template <std::size_t Dim>
  std::uint32_t insert_impl(const NodeRef* path, std::size_t depth, std::size_t first_outside,
                            NodeRef leaf, std::uint32_t index, const float* values,
                            const PointStore& store, Xoshiro256& rng) noexcept;
  template <std::size_t Dim>
  std::size_t first_outside_impl(const float* values, const NodeRef* path, std::size_t depth,
                                 const PointStore& store) const noexcept;
  template <std::size_t Dim>
  bool erase_impl(std::uint32_t index, const float* values, const PointStore& store) noexcept;
  // After `removed` left the subtree: recomputes the box in the dimensions where it lay
  // on the boundary (the only ones that can change); true if the box changed.
  template <std::size_t Dim>
  bool shrink_box(NodeRef ref, const float* removed, const PointStore& store) noexcept;
  // Recomputes an internal node's box from its children; true if it changed.
  template <std::size_t Dim>
  bool recompute_box(NodeRef ref, const PointStore& store) noexcept;
  // Settles and recomputes a node's box from its children (restore).
  void refresh_box(NodeRef ref, const PointStore& store) noexcept;
  // Splits `sibling` (of mass sibling_mass) off the new point by `cut`; returns the new
  // node, with a stored box unless `sibling` is a leaf.
  template <std::size_t Dim>
  NodeRef split(NodeRef sibling, std::uint32_t sibling_mass, std::uint32_t index,
                const float* values, std::uint16_t dim, float cut, const PointStore& store) noexcept;

  std::size_t dimension_ = 0;
  std::size_t capacity_ = 0;
  std::vector<InternalNode> nodes_;
  std::vector<float> boxes_;  // size = slots ever used * 2D
  std::uint16_t free_box_ = NO_BOX;
  std::vector<std::uint32_t> leaf_points_;
  std::vector<std::uint16_t> leaf_masses_;
  NodeRef root_ = NO_NODE;
  NodeRef free_node_ = NO_NODE;  // chained through child[0]
  NodeRef free_leaf_ = NO_NODE;  // chained through leaf_points_
  std::uint32_t mass_ = 0;
};

template <class F>
void RandomCutTree::for_each_leaf(F&& f) const {
  if (root_ == NO_NODE) {
    return;
  }
  NodeRef stack[MAX_TREE_DEPTH + 1];
  std::size_t top = 0;
  stack[top++] = root_;
  while (top > 0) {
    const NodeRef ref = stack[--top];
    if (is_leaf(ref)) {
      f(leaf_point(ref), leaf_mass(ref));
    } else {
      stack[top++] = nodes_[ref].child[1];
      stack[top++] = nodes_[ref].child[0];
    }
  }
}

}  // namespace anomstream::forest
