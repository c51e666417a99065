#pragma once
// The library's snapshot structs in the state format (proto/anomstream/state/v1): one
// to_proto / from_proto pair per type the stream pipelines hold. to_proto copies every
// field; from_proto checks what the wire cannot (a value that does not fit the struct's
// type, a wrong array length) and names the field, and the library's restore() then
// checks each type's own invariants. Binary form: the messages' protobuf encoding (in
// the state file, state_file.hpp); JSON form: protobuf's JSON mapping of the same
// messages (state_file_to_json), for inspection.
// Errors: ErrorCode::corrupt_snapshot, field named as "<message>.<field>".

#include "anomstream/core/error.hpp"
#include "anomstream/drift/meta_drift_detector.hpp"
#include "anomstream/forest/thresholded_forest.hpp"
#include "anomstream/state/v1/state.pb.h"
#include "anomstream/stats/normalizer.hpp"
#include "anomstream/stats/severity_bands.hpp"
#include "anomstream/subsequence/left_matrix_profile.hpp"
#include "anomstream/subsequence/subsequence_kmeans.hpp"

namespace anomstream::daemon {

namespace pb = anomstream::state::v1;

void to_proto(const stats::NormalizerSnapshot& in, pb::NormalizerState& out);
Result<stats::NormalizerSnapshot> from_proto(const pb::NormalizerState& in);

void to_proto(const forest::ForestSnapshot& in, pb::ForestState& out);
Result<forest::ForestSnapshot> from_proto(const pb::ForestState& in);

void to_proto(const forest::AdaptiveThresholdSnapshot& in, pb::AdaptiveThresholdState& out);
forest::AdaptiveThresholdSnapshot from_proto(const pb::AdaptiveThresholdState& in);

void to_proto(const forest::ThresholdedForestSnapshot& in, pb::ThresholdedForestState& out);
Result<forest::ThresholdedForestSnapshot> from_proto(const pb::ThresholdedForestState& in);

void to_proto(const stats::SeverityBandsSnapshot& in, pb::SeverityBandsState& out);
stats::SeverityBandsSnapshot from_proto(const pb::SeverityBandsState& in);

void to_proto(const drift::PerFeatureCusumSnapshot& in, pb::CusumState& out);
Result<drift::PerFeatureCusumSnapshot> from_proto(const pb::CusumState& in);

void to_proto(const drift::MetaDriftDetectorSnapshot& in, pb::MetaDriftState& out);
Result<drift::MetaDriftDetectorSnapshot> from_proto(const pb::MetaDriftState& in);

void to_proto(const subsequence::SubsequenceKMeansSnapshot& in, pb::SubsequenceKMeansState& out);
Result<subsequence::SubsequenceKMeansSnapshot> from_proto(const pb::SubsequenceKMeansState& in);

void to_proto(const subsequence::LeftMatrixProfileSnapshot& in, pb::LeftMatrixProfileState& out);
Result<subsequence::LeftMatrixProfileSnapshot> from_proto(const pb::LeftMatrixProfileState& in);

// The state a subsequence pipeline keeps beside its detector: the adaptive threshold
// over its scores, the severity bands and the meta-drift detector.
struct ScoreGateSnapshot {
  forest::AdaptiveThresholdSnapshot threshold;
  stats::SeverityBandsSnapshot severity;
  drift::MetaDriftDetectorSnapshot meta_drift;
};
void to_proto(const ScoreGateSnapshot& in, pb::ScoreGateState& out);
Result<ScoreGateSnapshot> from_proto(const pb::ScoreGateState& in);

}  // namespace anomstream::daemon
