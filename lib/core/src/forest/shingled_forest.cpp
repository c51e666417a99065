#include "anomstream/forest/shingled_forest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace anomstream::forest {
namespace {

// What the forest's own conversion accepts, checked before anything changes so that a
// rejected input leaves the shingle as it was.
Status check_input(std::span<const double> input, std::size_t dimension) noexcept {
  if (input.size() != dimension) [[unlikely]] {
    return require_dimension(input.size(), dimension, "input");
  }
  constexpr double FLOAT_MAX = std::numeric_limits<float>::max();
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (!(std::abs(input[i]) <= FLOAT_MAX)) [[unlikely]] {
      if (!std::isfinite(input[i])) return require_finite(input, "input");
      return fail(ErrorCode::invalid_input, "input[" + std::to_string(i) + "]",
                  "must be within the float32 range |x| <= 3.4028235e38");
    }
  }
  return {};
}

// The config with forest.dimension filled in, validated.
Result<ShingledForestConfig> complete_config(const ShingledForestConfig& config) {
  if (auto s =
          require_in_range(config.input_dimension, MIN_DIMENSION, MAX_DIMENSION, "input_dimension");
      !s) {
    return std::unexpected(s.error());
  }
  const std::size_t max_shingle = MAX_DIMENSION / config.input_dimension;
  if (auto s = require_in_range(config.shingle_size, std::size_t{1}, max_shingle, "shingle_size");
      !s) {
    return std::unexpected(s.error());
  }
  ShingledForestConfig out = config;
  const std::size_t dimension = config.input_dimension * config.shingle_size;
  if (out.forest.dimension == 0) {
    out.forest.dimension = dimension;
  } else if (out.forest.dimension != dimension) {
    return fail(ErrorCode::invalid_config, "forest.dimension",
                "must be 0 or input_dimension * shingle_size = " + std::to_string(dimension) +
                    " (got " + std::to_string(out.forest.dimension) + ")");
  }
  if (auto s = validate_config(out.forest); !s) {
    Error e = s.error();
    e.field = "forest." + e.field;
    return std::unexpected(std::move(e));
  }
  return out;
}

}  // namespace

double LagAttribution::lag_total(std::size_t lag) const noexcept {
  return lag < by_lag.size() ? by_lag[lag].total() : 0.0;
}

std::size_t LagAttribution::top_lag() const noexcept {
  std::size_t best = 0;
  for (std::size_t k = 1; k < by_lag.size(); ++k) {
    if (lag_total(k) > lag_total(best)) best = k;
  }
  return best;
}

ShingledForest::ShingledForest(RandomCutForest forest, std::size_t input_dimension,
                               std::size_t shingle_size)
    : forest_(std::move(forest)),
      input_dimension_(input_dimension),
      shingle_size_(shingle_size),
      ring_(input_dimension, shingle_size) {}

Result<ShingledForest> ShingledForest::create(const ShingledForestConfig& config,
                                              std::shared_ptr<TreeExecutor> executor) {
  auto complete = complete_config(config);
  if (!complete) return std::unexpected(complete.error());
  auto forest = RandomCutForest::create(complete->forest, std::move(executor));
  if (!forest) return std::unexpected(forest.error());
  return ShingledForest(std::move(*forest), complete->input_dimension, complete->shingle_size);
}

Result<ShingledForest> ShingledForest::restore(const ShingledForestSnapshot& snapshot,
                                               std::shared_ptr<TreeExecutor> executor) {
  auto complete = complete_config(snapshot.config);
  if (!complete) return std::unexpected(complete.error());
  if (!(complete->forest == snapshot.forest.config)) {
    return fail(ErrorCode::corrupt_snapshot, "config.forest", "must equal forest.config");
  }
  const std::size_t d = complete->input_dimension;
  const std::size_t s = complete->shingle_size;
  const auto kept = static_cast<std::size_t>(std::min<std::uint64_t>(snapshot.inputs_seen, s));
  if (snapshot.recent.size() != kept * d) {
    return fail(
        ErrorCode::corrupt_snapshot, "recent",
        "must hold min(inputs_seen, shingle_size) * input_dimension = " + std::to_string(kept * d) +
            " values (got " + std::to_string(snapshot.recent.size()) + ")");
  }
  if (auto ok = check_input(snapshot.recent, snapshot.recent.size()); !ok) {
    Error e = ok.error();
    e.code = ErrorCode::corrupt_snapshot;
    e.field = "recent";
    return std::unexpected(std::move(e));
  }
  auto forest = RandomCutForest::restore(snapshot.forest, std::move(executor));
  if (!forest) return std::unexpected(forest.error());
  ShingledForest out(std::move(*forest), d, s);
  out.ring_.replay(snapshot.inputs_seen, snapshot.recent);
  return out;
}

std::span<const double> ShingledForest::shingle() const noexcept { return ring_.window(); }

Status ShingledForest::push(std::span<const double> input) noexcept {
  if (auto ok = check_input(input, input_dimension_); !ok) [[unlikely]] {
    return ok;
  }
  ring_.push(input);
  return {};
}

Result<double> ShingledForest::score() const noexcept {
  if (!is_full()) return 0.0;
  return forest_.score(shingle());
}

Result<LagAttribution> ShingledForest::attribution() const {
  const std::size_t d = input_dimension_;
  const std::size_t s = shingle_size_;
  LagAttribution out;
  out.by_lag.assign(s, DiVector(d));
  out.by_feature = DiVector(d);
  if (!is_full()) return out;
  auto flat = forest_.attribution(shingle());
  if (!flat) return std::unexpected(flat.error());
  // Forest position k (0 = oldest) holds the input s - 1 - k steps back.
  for (std::size_t k = 0; k < s; ++k) {
    DiVector& lag = out.by_lag[s - 1 - k];
    for (std::size_t j = 0; j < d; ++j) {
      lag.high[j] = flat->high[k * d + j];
      lag.low[j] = flat->low[k * d + j];
      out.by_feature.high[j] += lag.high[j];
      out.by_feature.low[j] += lag.low[j];
    }
  }
  return out;
}

Status ShingledForest::learn() noexcept {
  if (!is_full()) {
    return fail(ErrorCode::not_ready, "shingle",
                "needs shingle_size = " + std::to_string(shingle_size_) + " inputs (got " +
                    std::to_string(ring_.pushed()) + ")");
  }
  return forest_.update(shingle());
}

Result<double> ShingledForest::process(std::span<const double> input, bool update) noexcept {
  if (auto ok = push(input); !ok) [[unlikely]] {
    return std::unexpected(ok.error());
  }
  if (!is_full()) return 0.0;
  return update ? forest_.score_and_update(shingle()) : forest_.score(shingle());
}

std::size_t ShingledForest::memory_bytes() const noexcept {
  return forest_.memory_bytes() + (sizeof(ShingledForest) - sizeof(RandomCutForest)) +
         ring_.memory_bytes();
}

ShingledForestSnapshot ShingledForest::snapshot() const {
  ShingledForestSnapshot out;
  out.config.input_dimension = input_dimension_;
  out.config.shingle_size = shingle_size_;
  out.config.forest = forest_.config();
  out.forest = forest_.snapshot();
  out.inputs_seen = ring_.pushed();
  out.recent = ring_.recent();
  return out;
}

}  // namespace anomstream::forest
