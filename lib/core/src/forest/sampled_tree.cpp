#include "anomstream/forest/sampled_tree.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "anomstream/forest/detail/uniform.hpp"
#include "anomstream/forest/forest_snapshot.hpp"

namespace anomstream::forest {

SampledTree::SampledTree(std::size_t dimension, std::size_t sample_size, std::uint64_t seed)
    : tree_(dimension, sample_size), reservoir_(sample_size), rng_(seed) {}

double SampledTree::initial_accept_probability(double fill_fraction,
                                               double initial_fraction) noexcept {
  if (fill_fraction < initial_fraction) {
    return 1.0;
  }
  if (initial_fraction >= 1.0) {
    return 0.0;
  }
  return 1.0 - (fill_fraction - initial_fraction) / (1.0 - initial_fraction);
}

double SampledTree::acceptance_threshold(const SamplingParams& params,
                                         std::uint64_t entries_seen) noexcept {
  if (threshold_valid_ && entries_seen == threshold_at_) {
    return threshold_;  // quick_reject already advanced it
  }
  if (threshold_valid_ && entries_seen == threshold_at_ + 1 &&
      entries_seen % THRESHOLD_REFRESH != 0) {
    threshold_ *= params.decay_step;
  } else {
    threshold_ = std::exp(reservoir_.max_weight() +
                          static_cast<double>(entries_seen) * params.time_decay);
    threshold_valid_ = true;
  }
  threshold_at_ = entries_seen;
  return threshold_;
}

bool SampledTree::accept(double u, const SamplingParams& params, std::uint64_t entries_seen,
                         double& weight, std::uint32_t& evicted) noexcept {
  bool initial = false;
  if (!reservoir_.full()) {
    const double other = detail::uniform01(rng_);
    const double fill = static_cast<double>(reservoir_.size()) /
                        static_cast<double>(reservoir_.capacity());
    initial = other < initial_accept_probability(fill, params.initial_accept_fraction);
  }
  evicted = PointStore::NO_POINT;
  if (!initial) {
    if (reservoir_.empty()) {
      return false;
    }
    const double x = acceptance_threshold(params, entries_seen) * (1.0 + REJECT_MARGIN);
    if (u <= 1.0 - x) {
      return false;  // u <= 1 - x <= exp(-x): the exact weight is >= W_max
    }
    weight = std::log(-std::log(u)) - static_cast<double>(entries_seen) * params.time_decay;
    if (!(weight < reservoir_.max_weight())) {
      return false;
    }
    evicted = reservoir_.evict_max();
  } else {
    weight = std::log(-std::log(u)) - static_cast<double>(entries_seen) * params.time_decay;
  }
  return true;
}

TreeUpdate SampledTree::update_slow(double u, std::uint32_t index, const float* values,
                                    const PointStore& store, const SamplingParams& params,
                                    std::uint64_t entries_seen, const TreePath* given) noexcept {
  double weight = 0.0;
  std::uint32_t evicted = PointStore::NO_POINT;
  if (!accept(u, params, entries_seen, weight, evicted)) {
    return {};
  }
  std::array<NodeRef, MAX_TREE_DEPTH> nodes;
  TreePath path;
  if (given != nullptr) {
    path = *given;
  } else {
    path.nodes = nodes.data();
    path.leaf = tree_.descend(values, nodes.data(), path.depth);
    path.first_outside = tree_.first_outside(values, nodes.data(), path.depth, store);
  }
  TreeUpdate result;
  result.added = tree_.insert_on_path(path.nodes, path.depth, path.first_outside, path.leaf,
                                      index, values, store, rng_);
  if (evicted != PointStore::NO_POINT) {
    tree_.erase(evicted, store.point(evicted), store);
    result.evicted = evicted;
  }
  reservoir_.push(weight, result.added);
  threshold_valid_ = false;
  return result;
}

Status SampledTree::validate(const PointStore& store) const {
  if (auto status = tree_.validate(store); !status) {
    return status;
  }
  if (!reservoir_.is_heap()) {
    return fail(ErrorCode::corrupt_snapshot, "weights", "must be a max-heap");
  }
  for (const double w : reservoir_.weights()) {
    if (std::isnan(w)) {
      return fail(ErrorCode::corrupt_snapshot, "weights", "must not be NaN");
    }
  }
  if (reservoir_.size() != tree_.mass()) {
    return fail(ErrorCode::corrupt_snapshot, "sample",
                "size must equal the tree's mass (" + std::to_string(tree_.mass()) + ")");
  }
  // The reservoir's multiset of points equals the tree's leaves with their masses.
  std::vector<std::uint32_t> sample(reservoir_.points().begin(), reservoir_.points().end());
  std::vector<std::uint32_t> leaves;
  leaves.reserve(sample.size());
  tree_.for_each_leaf([&](std::uint32_t point, std::uint32_t mass) {
    leaves.insert(leaves.end(), mass, point);
  });
  std::sort(sample.begin(), sample.end());
  std::sort(leaves.begin(), leaves.end());
  if (sample != leaves) {
    return fail(ErrorCode::corrupt_snapshot, "sample",
                "must hold exactly the tree's leaves with their multiplicities");
  }
  return {};
}

void SampledTree::export_snapshot(TreeSnapshot& out, std::span<const std::uint32_t> ids) const {
  out.rng = rng_.state();
  out.weights.assign(reservoir_.weights().begin(), reservoir_.weights().end());
  out.sample.clear();
  for (const std::uint32_t point : reservoir_.points()) {
    out.sample.push_back(ids[point]);
  }
  tree_.export_structure(out, ids);
}

Status SampledTree::import_snapshot(const TreeSnapshot& in, std::span<const std::uint32_t> indices,
                                    const PointStore& store) {
  if (in.rng == Xoshiro256::State{}) {
    return fail(ErrorCode::corrupt_snapshot, "rng", "state must not be all zero");
  }
  if (in.weights.size() != in.sample.size() || in.sample.size() > reservoir_.capacity()) {
    return fail(ErrorCode::corrupt_snapshot, "sample",
                "weights and sample must have equal length <= sample_size");
  }
  std::vector<std::uint32_t> sample;
  sample.reserve(in.sample.size());
  for (const std::uint32_t id : in.sample) {
    if (id >= indices.size()) {
      return fail(ErrorCode::corrupt_snapshot, "sample", "point ids must be < the number of points");
    }
    sample.push_back(indices[id]);
  }
  rng_.set_state(in.rng);
  reservoir_.assign(in.weights, sample);
  threshold_valid_ = false;
  if (auto status = tree_.import_structure(in, indices, store); !status) {
    return status;
  }
  return validate(store);
}

}  // namespace anomstream::forest
