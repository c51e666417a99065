#pragma once
// ExplainAlert's computation, off the worker thread: SAGE importance (Covert, Lundberg &
// Lee 2020) of each feature for a copy of a stream's model, by permutation sampling
// until the standard errors fall below 5% of the spread or `max_permutations` ran (at
// least min(32, max_permutations)), with a fixed seed so one model gives one answer.

#include <cstddef>

#include "anomstream/triage/sage_estimator.hpp"
#include "pipeline/explain_model.hpp"

namespace anomstream::daemon {

[[nodiscard]] Result<triage::SageReport> explain(const ExplainModel& model, std::size_t max_permutations);

}  // namespace anomstream::daemon
