// RandomCutForest's snapshot, restore and whole-forest invariant check.

#include <cmath>
#include <string>

#include "anomstream/forest/random_cut_forest.hpp"

namespace anomstream::forest {

ForestSnapshot RandomCutForest::snapshot() const {
  ForestSnapshot out;
  out.config = config_;
  out.entries_seen = entries_seen_;
  const std::size_t d = config_.dimension;
  // Number the points in the order a walk over tree 0's leaves, then tree 1's, ... meets
  // them, so equal states give equal snapshots.
  std::vector<std::uint32_t> ids(store_.slots(), PointStore::NO_POINT);
  std::uint32_t next = 0;
  for (const SampledTree& tree : trees_) {
    tree.tree().for_each_leaf([&](std::uint32_t point, std::uint32_t) {
      if (ids[point] == PointStore::NO_POINT) {
        ids[point] = next++;
        const float* p = store_.point(point);
        out.points.insert(out.points.end(), p, p + d);
      }
    });
  }
  out.trees.resize(trees_.size());
  for (std::size_t t = 0; t < trees_.size(); ++t) {
    trees_[t].export_snapshot(out.trees[t], ids);
  }
  return out;
}

Result<RandomCutForest> RandomCutForest::restore(const ForestSnapshot& snapshot,
                                                 std::shared_ptr<TreeExecutor> executor) {
  // The trees the snapshot declares must be there before the forest reserves room for
  // them (every tree reserves for a full sample).
  if (auto status = validate_config(snapshot.config); !status) {
    return std::unexpected(status.error());
  }
  if (snapshot.trees.size() != snapshot.config.num_trees) {
    return fail(ErrorCode::corrupt_snapshot, "trees",
                "must hold num_trees (" + std::to_string(snapshot.config.num_trees) + ") trees");
  }
  auto created = create(snapshot.config, std::move(executor));
  if (!created) {
    return created;
  }
  RandomCutForest forest = std::move(*created);
  const std::size_t d = forest.config_.dimension;
  if (snapshot.points.size() % d != 0) {
    return fail(ErrorCode::corrupt_snapshot, "points", "length must be a multiple of dimension");
  }
  const std::size_t count = snapshot.points.size() / d;
  if (count > forest.store_.max_points()) {
    return fail(ErrorCode::corrupt_snapshot, "points", "at most num_trees * sample_size points");
  }
  for (std::size_t i = 0; i < snapshot.points.size(); ++i) {
    if (!std::isfinite(snapshot.points[i])) {
      return fail(ErrorCode::corrupt_snapshot, "points[" + std::to_string(i) + "]", "must be finite");
    }
  }
  // Each point enters with one reference, dropped once every tree has taken its own.
  std::vector<std::uint32_t> indices(count);
  for (std::size_t i = 0; i < count; ++i) {
    indices[i] = forest.store_.add(snapshot.points.data() + i * d);
  }
  for (std::size_t t = 0; t < forest.trees_.size(); ++t) {
    if (auto status = forest.trees_[t].import_snapshot(snapshot.trees[t], indices, forest.store_);
        !status) {
      Error error = status.error();
      error.field = "trees[" + std::to_string(t) + "]." + error.field;
      return std::unexpected(std::move(error));
    }
    for (const std::uint32_t point : forest.trees_[t].reservoir().points()) {
      forest.store_.retain(point);
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (forest.store_.ref_count(indices[i]) == 1) {
      return fail(ErrorCode::corrupt_snapshot, "points",
                  "point " + std::to_string(i) + " is held by no tree");
    }
    forest.store_.release(indices[i]);
  }
  forest.entries_seen_ = snapshot.entries_seen;
  return forest;
}

Status RandomCutForest::validate() const {
  std::vector<std::uint32_t> refs(store_.slots(), 0);
  for (std::size_t t = 0; t < trees_.size(); ++t) {
    if (auto status = trees_[t].validate(store_); !status) {
      Error error = status.error();
      error.field = "trees[" + std::to_string(t) + "]." + error.field;
      return std::unexpected(std::move(error));
    }
    for (const std::uint32_t point : trees_[t].reservoir().points()) {
      ++refs[point];
    }
  }
  std::size_t live = 0;
  for (std::uint32_t i = 0; i < store_.slots(); ++i) {
    if (refs[i] != store_.ref_count(i)) {
      return fail(ErrorCode::corrupt_snapshot, "points[" + std::to_string(i) + "].references",
                  "must equal the number of tree samples holding it (" +
                      std::to_string(refs[i]) + ")");
    }
    live += refs[i] > 0 ? 1 : 0;
  }
  if (live != store_.live_points()) {
    return fail(ErrorCode::corrupt_snapshot, "points", "live count must match");
  }
  return {};
}

}  // namespace anomstream::forest
