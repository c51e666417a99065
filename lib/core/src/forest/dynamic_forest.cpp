#include "anomstream/forest/dynamic_forest.hpp"

#include <string>
#include <utility>

namespace anomstream::forest {
namespace {

// Validates every field of the template; a learned dimension (0) is checked as 1.
Status validate_template(const DynamicForestConfig& config) {
  if (auto s =
          require_in_range(config.max_dimension, MIN_DIMENSION, MAX_DIMENSION, "max_dimension");
      !s) {
    return s;
  }
  ForestConfig forest = config.forest.forest;
  if (forest.dimension == 0) {
    forest.dimension = 1;
  } else if (auto s = require_in_range(forest.dimension, MIN_DIMENSION, config.max_dimension,
                                       "forest.forest.dimension");
             !s) {
    return s;
  }
  if (auto s = validate_config(forest); !s) {
    Error e = s.error();
    e.field = "forest.forest." + e.field;
    return std::unexpected(std::move(e));
  }
  if (auto t = AdaptiveThreshold::create(config.forest.threshold); !t) {
    Error e = t.error();
    e.field = "forest.threshold." + e.field;
    return std::unexpected(std::move(e));
  }
  return {};
}

}  // namespace

Result<DynamicForest<>> DynamicForest<>::create(const DynamicForestConfig& config,
                                                std::shared_ptr<TreeExecutor> executor) {
  if (auto s = validate_template(config); !s) return std::unexpected(s.error());
  DynamicForest out(config, std::move(executor));
  if (config.forest.forest.dimension != 0) {
    if (auto s = out.set_dimension(config.forest.forest.dimension); !s) {
      return std::unexpected(s.error());
    }
  }
  return out;
}

Result<DynamicForest<>> DynamicForest<>::restore(const DynamicForestSnapshot& snapshot,
                                                 std::shared_ptr<TreeExecutor> executor) {
  const DynamicForestConfig& config = snapshot.config;
  if (auto s = validate_template(config); !s) return std::unexpected(s.error());
  DynamicForest out(config, executor);
  const std::size_t fixed = config.forest.forest.dimension;
  if (!snapshot.forest) {
    if (fixed != 0) {
      return fail(ErrorCode::corrupt_snapshot, "forest",
                  "must be present when config.forest.forest.dimension is set");
    }
    return out;
  }
  const ForestConfig& learned = snapshot.forest->forest.config;
  if (learned.dimension < MIN_DIMENSION || learned.dimension > config.max_dimension ||
      (fixed != 0 && learned.dimension != fixed)) {
    return fail(
        ErrorCode::corrupt_snapshot, "forest.forest.config.dimension",
        fixed != 0 ? "must equal config.forest.forest.dimension" : "must be in [1, max_dimension]");
  }
  ForestConfig expected = config.forest.forest;
  expected.dimension = learned.dimension;
  if (!(learned == expected)) {
    return fail(ErrorCode::corrupt_snapshot, "forest.forest.config",
                "must equal config.forest.forest apart from the dimension");
  }
  if (!(snapshot.forest->threshold.config == config.forest.threshold)) {
    return fail(ErrorCode::corrupt_snapshot, "forest.threshold.config",
                "must equal config.forest.threshold");
  }
  auto forest = ThresholdedForest::restore(*snapshot.forest, std::move(executor));
  if (!forest) return std::unexpected(forest.error());
  out.forest_ = std::make_unique<ThresholdedForest>(std::move(*forest));
  return out;
}

std::size_t DynamicForest<>::dimension() const noexcept {
  return forest_ ? forest_->forest().dimension() : 0;
}

Status DynamicForest<>::check_width(std::size_t width) const {
  if (forest_) return require_dimension(width, forest_->forest().dimension(), "point");
  if (width < MIN_DIMENSION || width > config_.max_dimension) {
    return fail(ErrorCode::dimension_mismatch, "point",
                "length must be in [1, " + std::to_string(config_.max_dimension) + "] (got " +
                    std::to_string(width) + ")");
  }
  return {};
}

Status DynamicForest<>::set_dimension(std::size_t dimension) {
  if (forest_) {
    if (dimension == forest_->forest().dimension()) return {};
    return fail(ErrorCode::incompatible, "dimension",
                "already fixed at " + std::to_string(forest_->forest().dimension()) + " (got " +
                    std::to_string(dimension) + ")");
  }
  if (dimension < MIN_DIMENSION || dimension > config_.max_dimension) {
    return require_in_range(dimension, MIN_DIMENSION, config_.max_dimension, "dimension");
  }
  ThresholdedForestConfig config = config_.forest;
  config.forest.dimension = dimension;
  auto forest = ThresholdedForest::create(config, executor_);
  if (!forest) return std::unexpected(forest.error());
  forest_ = std::make_unique<ThresholdedForest>(std::move(*forest));
  return {};
}

Status DynamicForest<>::process(std::span<const double> point, bool update,
                                AnomalyDescriptor& out) {
  if (forest_) [[likely]] {
    return forest_->process(point, update, out);
  }
  if (auto s = check_width(point.size()); !s) return s;
  if (auto s = require_finite(point, "point"); !s) return s;
  if (auto s = set_dimension(point.size()); !s) return s;
  if (auto s = forest_->process(point, update, out); !s) {
    forest_.reset();  // e.g. a value outside float32 range: the width is not learned
    return s;
  }
  return {};
}

Result<AnomalyDescriptor> DynamicForest<>::process(std::span<const double> point, bool update) {
  AnomalyDescriptor out;
  if (auto s = process(point, update, out); !s) return std::unexpected(s.error());
  return out;
}

std::size_t DynamicForest<>::memory_bytes() const noexcept {
  return sizeof(DynamicForest) + (forest_ ? forest_->memory_bytes() : 0);
}

DynamicForestSnapshot DynamicForest<>::snapshot() const {
  DynamicForestSnapshot out;
  out.config = config_;
  if (forest_) out.forest = forest_->snapshot();
  return out;
}

}  // namespace anomstream::forest
