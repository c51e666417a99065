#pragma once
// The forest pipeline: Normalizer -> ThresholdedForest -> SeverityBands ->
// MetaDriftDetector (see StreamPipeline).

#include <memory>
#include <string>

#include "pipeline/stream_pipeline.hpp"

namespace anomstream::daemon {

Result<std::unique_ptr<StreamPipeline>> create_forest_pipeline(const PipelineSettings& settings, const std::string& tenant,
                                                               const std::string& stream, std::size_t dimension);
// `state` holds a forest pipeline (the caller dispatched on its detector).
Result<std::unique_ptr<StreamPipeline>> restore_forest_pipeline(const PipelineSettings& settings,
                                                                const state::v1::StreamState& state);

}  // namespace anomstream::daemon
