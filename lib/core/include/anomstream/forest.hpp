#pragma once
// The forest module in one include, with its most used types re-exported at anomstream::.

#include "anomstream/forest/attribution_stability.hpp"
#include "anomstream/forest/di_vector.hpp"
#include "anomstream/forest/feature_groups.hpp"
#include "anomstream/forest/fixed_random_cut_forest.hpp"
#include "anomstream/forest/forensic_baseline.hpp"
#include "anomstream/forest/forest_builder.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/forest_snapshot.hpp"
#include "anomstream/forest/random_cut_forest.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream {

using forest::AttributionStability;
using forest::DiVector;
using forest::FeatureGroups;
using forest::FixedRandomCutForest;
using forest::ForensicBaseline;
using forest::ForestBuilder;
using forest::ForestConfig;
using forest::ForestSnapshot;
using forest::RandomCutForest;
using forest::TreeExecutor;

}  // namespace anomstream
