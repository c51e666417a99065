#pragma once
// FeatureGroups: named, disjoint sets of dimensions whose attribution is reported
// together (e.g. the 8 dimensions of a shingled metric, or all latency features).
//
// `contributions` sums a DiVector's high and low entries over each group, so when the
// groups cover every dimension the group totals add up to the score the DiVector
// explains. Construction validates once: at least one group, names non-empty and unique,
// every group non-empty, indices < dimension, no dimension in two groups; the Error names
// the offending field (e.g. "groups[2].dimensions[0]"). Memory: the names plus 8 bytes
// per listed dimension. Time: O(listed dimensions) per call, one allocation for the
// result. Failure modes: a DiVector of another dimension is ErrorCode::dimension_mismatch.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/forest/di_vector.hpp"

namespace anomstream::forest {

struct FeatureGroup {
  std::string name;
  std::vector<std::size_t> dimensions;
  friend bool operator==(const FeatureGroup&, const FeatureGroup&) = default;
};

struct GroupContribution {
  std::string name;
  double high = 0.0;
  double low = 0.0;
  [[nodiscard]] double total() const noexcept { return high + low; }
  friend bool operator==(const GroupContribution&, const GroupContribution&) = default;
};

class FeatureGroups {
 public:
  [[nodiscard]] static Result<FeatureGroups> create(std::size_t dimension,
                                                    std::vector<FeatureGroup> groups);

  // Per-group sums of `attribution`, in the order the groups were given.
  [[nodiscard]] Result<std::vector<GroupContribution>> contributions(
      const DiVector& attribution) const;

  [[nodiscard]] std::size_t dimension() const noexcept { return dimension_; }
  [[nodiscard]] const std::vector<FeatureGroup>& groups() const noexcept { return groups_; }

 private:
  FeatureGroups(std::size_t dimension, std::vector<FeatureGroup> groups)
      : dimension_(dimension), groups_(std::move(groups)) {}

  std::size_t dimension_ = 0;
  std::vector<FeatureGroup> groups_;
};

}  // namespace anomstream::forest
