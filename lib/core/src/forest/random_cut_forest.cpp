#include "anomstream/forest/random_cut_forest.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "anomstream/forest/attribution_visitor.hpp"
#include "anomstream/forest/score_visitor.hpp"

namespace anomstream::forest {

namespace {
// Trees per unit of parallel work.
constexpr std::size_t TREE_GROUP = 8;
}  // namespace

RandomCutForest::RandomCutForest(const ForestConfig& config,
                                 std::shared_ptr<TreeExecutor> executor)
    : config_(config),
      params_{config.time_decay, config.initial_accept_fraction, std::exp(config.time_decay)},
      executor_(std::move(executor)),
      store_(config.dimension, config.num_trees * config.sample_size + 1),
      updates_((config.num_trees + 7) / 8),
      query_(config.dimension),
      log2_one_plus_(config.sample_size + 1) {
  for (std::size_t m = 0; m < log2_one_plus_.size(); ++m) {
    log2_one_plus_[m] = std::log2(1.0 + static_cast<double>(m));
  }
  // One stream per tree, drawn from the forest's seed.
  Xoshiro256 seeds(config.seed);
  trees_.reserve(config.num_trees);
  for (std::size_t t = 0; t < config.num_trees; ++t) {
    trees_.emplace_back(config.dimension, config.sample_size, seeds());
  }
}

Result<RandomCutForest> RandomCutForest::create(const ForestConfig& config,
                                                std::shared_ptr<TreeExecutor> executor) {
  if (auto status = validate_config(config); !status) {
    return std::unexpected(status.error());
  }
  return RandomCutForest(config, std::move(executor));
}

Status RandomCutForest::to_float(std::span<const double> point, float* out) const noexcept {
  if (point.size() != config_.dimension) [[unlikely]] {
    return require_dimension(point.size(), config_.dimension, "point");
  }
  constexpr double FLOAT_MAX = std::numeric_limits<float>::max();
  for (std::size_t i = 0; i < point.size(); ++i) {
    const double v = point[i];
    if (!(std::abs(v) <= FLOAT_MAX)) [[unlikely]] {
      if (!std::isfinite(v)) {
        return require_finite(point, "point");
      }
      return fail(ErrorCode::invalid_input, "point[" + std::to_string(i) + "]",
                  "must be within the float32 range |x| <= 3.4028235e38");
    }
    out[i] = static_cast<float>(v);
  }
  return {};
}

template <class F>
void RandomCutForest::for_each_tree_range(F&& f) const noexcept {
  const std::size_t n = trees_.size();
  if (executor_ != nullptr && executor_->concurrency() > 1) {
    // Hand out groups of TREE_GROUP trees: the scorer interleaves the trees of a range,
    // so a range of one or two trees would lose the overlap of their cache misses.
    const std::size_t groups = (n + TREE_GROUP - 1) / TREE_GROUP;
    auto grouped = [&f, n](std::size_t first, std::size_t last) noexcept {
      f(first * TREE_GROUP, std::min(last * TREE_GROUP, n));
    };
    executor_->parallel_for(groups, TreeExecutor::Task(grouped));
  } else {
    f(std::size_t{0}, n);
  }
}

template <class F>
void RandomCutForest::for_each_tree(F&& f) const noexcept {
  for_each_tree_range([&f](std::size_t begin, std::size_t end) noexcept {
    for (std::size_t t = begin; t < end; ++t) {
      f(t);
    }
  });
}

std::uint32_t RandomCutForest::begin_update(const float* values) noexcept {
  return store_.add(values);
}

void RandomCutForest::end_update(std::uint32_t index) noexcept {
  // Retain before releasing: a tree may evict a point another tree just matched.
  const std::size_t n = trees_.size();
  for (std::size_t t = 0; t < n; ++t) {
    if (update_of(t).added != PointStore::NO_POINT) {
      store_.retain(update_of(t).added);
    }
  }
  for (std::size_t t = 0; t < n; ++t) {
    if (update_of(t).evicted != PointStore::NO_POINT) {
      store_.release(update_of(t).evicted);
    }
  }
  store_.release(index);
  ++entries_seen_;
}

Status RandomCutForest::update(std::span<const double> point) noexcept {
  if (auto status = to_float(point, query_.data()); !status) {
    return status;
  }
  const std::uint32_t index = begin_update(query_.data());
  const float* values = store_.point(index);
  const std::uint64_t seen = entries_seen_;
  for_each_tree([&](std::size_t t) noexcept {
    update_of(t) = trees_[t].update(index, values, store_, params_, seen);
  });
  end_update(index);
  return {};
}

Result<double> RandomCutForest::score(std::span<const double> point) const noexcept {
  std::array<float, MAX_DIMENSION> query;
  if (auto status = to_float(point, query.data()); !status) {
    return std::unexpected(std::move(status.error()));
  }
  if (!is_ready()) {
    return 0.0;
  }
  alignas(64) std::array<double, MAX_TREES> scores;
  for_each_tree_range([&](std::size_t begin, std::size_t end) noexcept {
    score_trees(std::span<const SampledTree>(trees_).subspan(begin, end - begin), query.data(),
                store_, log2_one_plus_.data(), scores.data() + begin);
  });
  double sum = 0.0;
  for (std::size_t t = 0; t < trees_.size(); ++t) {
    sum += scores[t];
  }
  return sum / static_cast<double>(trees_.size());
}

Result<double> RandomCutForest::score_and_update(std::span<const double> point) noexcept {
  if (auto status = to_float(point, query_.data()); !status) {
    return std::unexpected(std::move(status.error()));
  }
  const bool ready = is_ready();
  const std::uint32_t index = begin_update(query_.data());
  const float* values = store_.point(index);
  const std::uint64_t seen = entries_seen_;
  alignas(64) std::array<double, MAX_TREES> scores;
  const std::span<const SampledTree> all(trees_);
  for_each_tree_range([&](std::size_t begin, std::size_t end) noexcept {
    // Score a batch, then update the same trees along the walks the scores made.
    std::array<ScoredPath, SCORE_BATCH> paths;
    for (std::size_t b = begin; b < end; b += SCORE_BATCH) {
      const std::size_t e = std::min(b + SCORE_BATCH, end);
      score_trees(all.subspan(b, e - b), values, store_, log2_one_plus_.data(), scores.data() + b,
                  paths.data());
      for (std::size_t t = b; t < e; ++t) {
        update_of(t) = trees_[t].update(index, values, store_, params_, seen, paths[t - b].view());
      }
    }
  });
  end_update(index);
  if (!ready) {
    return 0.0;
  }
  double sum = 0.0;
  for (std::size_t t = 0; t < trees_.size(); ++t) {
    sum += scores[t];
  }
  return sum / static_cast<double>(trees_.size());
}

std::vector<DiVector> RandomCutForest::per_tree_attribution(const float* query) const {
  const std::size_t d = config_.dimension;
  std::vector<DiVector> out(trees_.size(), DiVector(d));
  std::vector<float> scratch(2 * d * trees_.size());
  for_each_tree([&](std::size_t t) noexcept {
    attribute_tree(trees_[t].tree(), query, store_, out[t].high, out[t].low,
                   std::span<float>(scratch).subspan(2 * d * t, 2 * d));
  });
  return out;
}

Result<DiVector> RandomCutForest::attribution(std::span<const double> point) const {
  std::vector<float> query(config_.dimension);
  if (auto status = to_float(point, query.data()); !status) {
    return std::unexpected(std::move(status.error()));
  }
  DiVector result(config_.dimension);
  if (!is_ready()) {
    return result;
  }
  const double weight = 1.0 / static_cast<double>(trees_.size());
  for (const DiVector& tree : per_tree_attribution(query.data())) {
    result.add_scaled(tree, weight);
  }
  return result;
}

Result<AttributionStability> RandomCutForest::attribution_stability(
    std::span<const double> point) const {
  std::vector<float> query(config_.dimension);
  if (auto status = to_float(point, query.data()); !status) {
    return std::unexpected(std::move(status.error()));
  }
  if (!is_ready()) {
    return fail(ErrorCode::not_ready, "entries_seen",
                "must be >= output_after (" + std::to_string(config_.output_after) + ")");
  }
  const std::vector<DiVector> trees = per_tree_attribution(query.data());
  return AttributionStability::from_trees(trees);
}

Result<ForensicBaseline> RandomCutForest::forensic_baseline(std::span<const double> point) const {
  std::vector<float> query(config_.dimension);
  if (auto status = to_float(point, query.data()); !status) {
    return std::unexpected(std::move(status.error()));
  }
  if (store_.live_points() == 0) {
    return fail(ErrorCode::not_ready, "entries_seen", "the forest holds no points yet");
  }
  return ForensicBaseline::compute(store_, query.data());
}

std::size_t RandomCutForest::memory_bytes() const noexcept {
  std::size_t bytes = sizeof(*this) + store_.memory_bytes() +
                      trees_.capacity() * sizeof(SampledTree) +
                      updates_.capacity() * sizeof(UpdateGroup) + query_.capacity() * sizeof(float) +
                      log2_one_plus_.capacity() * sizeof(double);
  for (const SampledTree& tree : trees_) {
    bytes += tree.memory_bytes();
  }
  return bytes;
}

}  // namespace anomstream::forest
