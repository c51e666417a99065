#include "anomstream/forest/tenant_forest_pool.hpp"

#include <limits>
#include <utility>

namespace anomstream::forest {
namespace {

// Second half of the SipHash key of tenant_seed; changing it changes every tenant's seed.
constexpr std::uint64_t TENANT_SEED_SALT = 0x616e6f6d2d74656eULL;  // "anom-ten"

// The template with dimension 1 when it is 0, validated; errors prefixed with `prefix`.
Status validate_template(ForestConfig config, const std::string& prefix) {
  if (config.dimension == 0) config.dimension = 1;
  if (auto s = validate_config(config); !s) {
    Error e = s.error();
    e.field = prefix + e.field;
    return std::unexpected(std::move(e));
  }
  return {};
}

}  // namespace

Status validate_pool_config(const TenantForestPoolConfig& config) {
  if (auto s =
          require_in_range(config.max_forests, std::size_t{1}, MAX_POOL_FORESTS, "max_forests");
      !s) {
    return s;
  }
  return require_in_range(config.max_bytes, MIN_POOL_BYTES, std::numeric_limits<std::size_t>::max(),
                          "max_bytes");
}

std::uint64_t tenant_seed(std::uint64_t template_seed, std::string_view key) noexcept {
  return siphash24(SipKey{template_seed, TENANT_SEED_SALT}, key);
}

Result<TenantForestPool<RandomCutForest>::Factory> make_forest_factory(
    const ForestConfig& template_config, std::shared_ptr<TreeExecutor> executor) {
  if (auto s = validate_template(template_config, ""); !s) return std::unexpected(s.error());
  return TenantForestPool<RandomCutForest>::Factory(
      [template_config, executor = std::move(executor)](
          std::string_view key, std::size_t dimension) -> Result<RandomCutForest> {
        ForestConfig config = template_config;
        config.dimension = dimension;
        config.seed = tenant_seed(template_config.seed, key);
        return RandomCutForest::create(config, executor);
      });
}

Result<TenantForestPool<ThresholdedForest>::Factory> make_thresholded_forest_factory(
    const ThresholdedForestConfig& template_config, std::shared_ptr<TreeExecutor> executor) {
  if (auto s = validate_template(template_config.forest, "forest."); !s) {
    return std::unexpected(s.error());
  }
  if (auto t = AdaptiveThreshold::create(template_config.threshold); !t) {
    Error e = t.error();
    e.field = "threshold." + e.field;
    return std::unexpected(std::move(e));
  }
  return TenantForestPool<ThresholdedForest>::Factory(
      [template_config, executor = std::move(executor)](
          std::string_view key, std::size_t dimension) -> Result<ThresholdedForest> {
        ThresholdedForestConfig config = template_config;
        config.forest.dimension = dimension;
        config.forest.seed = tenant_seed(template_config.forest.seed, key);
        return ThresholdedForest::create(config, executor);
      });
}

template class TenantForestPool<RandomCutForest>;
template class TenantForestPool<ThresholdedForest>;

}  // namespace anomstream::forest
