#include "triage/explain.hpp"

#include <algorithm>

namespace anomstream::daemon {

Result<triage::SageReport> explain(const ExplainModel& model, std::size_t max_permutations) {
  auto estimator = triage::SageEstimator::create({.dimension = model.dimension,
                                                  .convergence_ratio = 0.05,
                                                  .min_permutations = std::min<std::size_t>(32, max_permutations),
                                                  .max_permutations = max_permutations,
                                                  .seed = 1});
  if (!estimator) return std::unexpected(estimator.error());
  return estimator->run(model.score, model.rows, {}, model.background);
}

}  // namespace anomstream::daemon
