#include "anomstream/forest/feature_groups.hpp"

#include <set>

namespace anomstream::forest {

Result<FeatureGroups> FeatureGroups::create(std::size_t dimension,
                                            std::vector<FeatureGroup> groups) {
  if (groups.empty()) {
    return fail(ErrorCode::invalid_config, "groups", "must hold at least one group");
  }
  std::set<std::string> names;
  std::vector<std::size_t> owner(dimension, groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::string field = "groups[" + std::to_string(g) + "]";
    const FeatureGroup& group = groups[g];
    if (group.name.empty()) {
      return fail(ErrorCode::invalid_config, field + ".name", "must not be empty");
    }
    if (!names.insert(group.name).second) {
      return fail(ErrorCode::invalid_config, field + ".name",
                  "must be unique (\"" + group.name + "\" repeats)");
    }
    if (group.dimensions.empty()) {
      return fail(ErrorCode::invalid_config, field + ".dimensions", "must not be empty");
    }
    for (std::size_t k = 0; k < group.dimensions.size(); ++k) {
      const std::size_t dim = group.dimensions[k];
      const std::string dim_field = field + ".dimensions[" + std::to_string(k) + "]";
      if (dim >= dimension) {
        return fail(ErrorCode::invalid_config, dim_field,
                    "must be < " + std::to_string(dimension) + " (got " + std::to_string(dim) + ")");
      }
      if (owner[dim] != groups.size()) {
        return fail(ErrorCode::invalid_config, dim_field,
                    "dimension " + std::to_string(dim) + " is already in groups[" +
                        std::to_string(owner[dim]) + "]");
      }
      owner[dim] = g;
    }
  }
  return FeatureGroups(dimension, std::move(groups));
}

Result<std::vector<GroupContribution>> FeatureGroups::contributions(
    const DiVector& attribution) const {
  if (auto status = require_dimension(attribution.dimension(), dimension_, "attribution");
      !status) {
    return std::unexpected(status.error());
  }
  std::vector<GroupContribution> out;
  out.reserve(groups_.size());
  for (const FeatureGroup& group : groups_) {
    GroupContribution c{group.name, 0.0, 0.0};
    for (const std::size_t dim : group.dimensions) {
      c.high += attribution.high[dim];
      c.low += attribution.low[dim];
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace anomstream::forest
