#pragma once
// The kmeans pipeline: SubsequenceKMeans over the raw rows (each window z-normalised as
// a whole, so no per-feature normaliser) -> AdaptiveThreshold -> SeverityBands ->
// MetaDriftDetector (see StreamPipeline). The window ending at each observation is
// scored before it is learned, and an alert is the observation that completed it
// (alignment `newest`: no delay). Attribution: the window's squared distance to its
// nearest centroid split by feature (SubsequenceKMeans::attribution), and a feature's
// expected value is that centroid's newest row in the window's scale
// (SubsequenceKMeans::expected_newest).

#include <memory>
#include <string>

#include "anomstream/subsequence/subsequence_kmeans.hpp"
#include "pipeline/stream_pipeline.hpp"

namespace anomstream::daemon {

// The library configuration pipeline.kmeans gives a stream of `dimension` values.
subsequence::SubsequenceKMeansConfig kmeans_config(const KMeansSettings& settings, std::size_t dimension,
                                                   std::uint64_t seed);

Result<std::unique_ptr<StreamPipeline>> create_kmeans_pipeline(const PipelineSettings& settings, const std::string& tenant,
                                                               const std::string& stream, std::size_t dimension);
// `state` holds a kmeans pipeline (the caller dispatched on its detector) whose stream
// dimension was checked against max_dimension.
Result<std::unique_ptr<StreamPipeline>> restore_kmeans_pipeline(const PipelineSettings& settings,
                                                                const state::v1::StreamState& state);

}  // namespace anomstream::daemon
