#pragma once
// The left_mp pipeline, for univariate streams: LeftMatrixProfile -> AdaptiveThreshold ->
// SeverityBands -> MetaDriftDetector (see StreamPipeline). The subsequence of the last
// `window` values is scored by its distance to its nearest neighbour among the last
// `history` subsequences, before it joins them; an alert is the observation that
// completed it (alignment `newest`). Its attribution is the one feature, high or low
// against the value that ended the nearest neighbour (LeftMatrixProfile::expected_newest),
// which the alert reports as the expected value. Every observation is learned: the
// left matrix profile is defined over the whole past, so the sampler's update flag does
// not apply.
// Echoes: an anomalous value stays in the newest subsequence for `window` observations;
// within that span after an alert, a score above the threshold whose subsequence differs
// from its neighbour most at the alerted value or before it (LeftMatrixProfile::top_lag)
// raises no new alert and is counted as an echo, as in the kmeans pipeline.

#include <memory>
#include <string>

#include "anomstream/subsequence/left_matrix_profile.hpp"
#include "pipeline/stream_pipeline.hpp"

namespace anomstream::daemon {

// The library configuration pipeline.left_mp gives.
subsequence::LeftMatrixProfileConfig left_mp_config(const LeftMpSettings& settings);

// invalid_config for a stream of more than one value.
Result<std::unique_ptr<StreamPipeline>> create_left_mp_pipeline(const PipelineSettings& settings,
                                                                const std::string& tenant, const std::string& stream,
                                                                std::size_t dimension);
// `state` holds a left_mp pipeline (the caller dispatched on its detector).
Result<std::unique_ptr<StreamPipeline>> restore_left_mp_pipeline(const PipelineSettings& settings,
                                                                 const state::v1::StreamState& state);

}  // namespace anomstream::daemon
