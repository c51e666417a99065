#include "persist/snapshot_codec.hpp"

#include <limits>
#include <string>

namespace anomstream::daemon {
namespace {

std::unexpected<Error> corrupt(std::string field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
}

template <class Field, class Vector>
void copy_to(const Vector& from, Field* to) {
  to->Reserve(static_cast<int>(from.size()));
  for (const auto& v : from) to->Add(v);
}

template <class T, class Field>
std::vector<T> copy_from(const Field& from) {
  return std::vector<T>(from.begin(), from.end());
}

// A size_t struct field from a uint64 on the wire (equal on the 64-bit targets we
// build; checked so a 32-bit build cannot truncate silently).
Result<std::size_t> size_field(std::uint64_t v, const char* field) {
  if (v > std::numeric_limits<std::size_t>::max()) return corrupt(field, "must fit size_t");
  return static_cast<std::size_t>(v);
}

Result<subsequence::ScoreAlignment> alignment_from(pb::ScoreAlignment wire, const char* field) {
  switch (wire) {
    case pb::SCORE_ALIGNMENT_NEWEST: return subsequence::ScoreAlignment::newest;
    case pb::SCORE_ALIGNMENT_LAGGED: return subsequence::ScoreAlignment::lagged;
    default: return corrupt(field, "newest or lagged");
  }
}

}  // namespace

void to_proto(const stats::NormalizerSnapshot& in, pb::NormalizerState& out) {
  switch (in.kind) {
    case stats::NormalizerKind::none: out.set_kind(pb::NORMALIZER_NONE); break;
    case stats::NormalizerKind::min_max: out.set_kind(pb::NORMALIZER_MIN_MAX); break;
    case stats::NormalizerKind::z_score: out.set_kind(pb::NORMALIZER_Z_SCORE); break;
  }
  out.set_count(in.count);
  copy_to(in.mean, out.mutable_mean());
  copy_to(in.m2, out.mutable_m2());
  copy_to(in.min, out.mutable_min());
  copy_to(in.max, out.mutable_max());
  out.set_clip_sigmas(in.clip_sigmas);
  out.set_warmup_rows(in.warmup_rows);
  out.set_clipped(in.clipped);
  copy_to(in.warmup, out.mutable_warmup());
}

Result<stats::NormalizerSnapshot> from_proto(const pb::NormalizerState& in) {
  stats::NormalizerSnapshot out;
  switch (in.kind()) {
    case pb::NORMALIZER_NONE: out.kind = stats::NormalizerKind::none; break;
    case pb::NORMALIZER_MIN_MAX: out.kind = stats::NormalizerKind::min_max; break;
    case pb::NORMALIZER_Z_SCORE: out.kind = stats::NormalizerKind::z_score; break;
    default: return corrupt("normalizer.kind", "none, min_max or z_score");
  }
  out.count = in.count();
  out.mean = copy_from<double>(in.mean());
  out.m2 = copy_from<double>(in.m2());
  out.min = copy_from<double>(in.min());
  out.max = copy_from<double>(in.max());
  // A state from before clipping has neither parameter (0 is out of both bounds, so it
  // cannot be a written value): it continues with the defaults.
  if (in.clip_sigmas() == 0.0 && in.warmup_rows() == 0) {
    const stats::NormalizerConfig defaults;
    out.clip_sigmas = defaults.clip_sigmas;
    out.warmup_rows = defaults.warmup_rows;
  } else {
    out.clip_sigmas = in.clip_sigmas();
    out.warmup_rows = in.warmup_rows();
  }
  out.clipped = in.clipped();
  out.warmup = copy_from<double>(in.warmup());
  return out;
}

void to_proto(const forest::ForestSnapshot& in, pb::ForestState& out) {
  auto* c = out.mutable_config();
  c->set_dimension(in.config.dimension);
  c->set_num_trees(in.config.num_trees);
  c->set_sample_size(in.config.sample_size);
  c->set_seed(in.config.seed);
  c->set_time_decay(in.config.time_decay);
  c->set_output_after(in.config.output_after);
  c->set_initial_accept_fraction(in.config.initial_accept_fraction);
  out.set_entries_seen(in.entries_seen);
  copy_to(in.points, out.mutable_points());
  out.mutable_trees()->Reserve(static_cast<int>(in.trees.size()));
  for (const auto& tree : in.trees) {
    auto* t = out.add_trees();
    copy_to(tree.rng, t->mutable_rng());
    copy_to(tree.weights, t->mutable_weights());
    copy_to(tree.sample, t->mutable_sample());
    t->set_shape(std::string(tree.shape.begin(), tree.shape.end()));
    copy_to(tree.cut_dimensions, t->mutable_cut_dimensions());
    copy_to(tree.cut_values, t->mutable_cut_values());
    copy_to(tree.leaf_points, t->mutable_leaf_points());
    copy_to(tree.leaf_masses, t->mutable_leaf_masses());
  }
}

Result<forest::ForestSnapshot> from_proto(const pb::ForestState& in) {
  forest::ForestSnapshot out;
  const auto& c = in.config();
  auto dimension = size_field(c.dimension(), "forest.config.dimension");
  auto trees = size_field(c.num_trees(), "forest.config.num_trees");
  auto sample = size_field(c.sample_size(), "forest.config.sample_size");
  if (!dimension) return std::unexpected(dimension.error());
  if (!trees) return std::unexpected(trees.error());
  if (!sample) return std::unexpected(sample.error());
  out.config.dimension = *dimension;
  out.config.num_trees = *trees;
  out.config.sample_size = *sample;
  out.config.seed = c.seed();
  out.config.time_decay = c.time_decay();
  out.config.output_after = c.output_after();
  out.config.initial_accept_fraction = c.initial_accept_fraction();
  out.entries_seen = in.entries_seen();
  out.points = copy_from<float>(in.points());
  out.trees.reserve(static_cast<std::size_t>(in.trees_size()));
  for (int i = 0; i < in.trees_size(); ++i) {
    const auto& t = in.trees(i);
    const std::string where = "forest.trees[" + std::to_string(i) + "]";
    forest::TreeSnapshot tree;
    if (t.rng_size() != static_cast<int>(tree.rng.size())) return corrupt(where + ".rng", "must hold 4 words");
    for (int k = 0; k < t.rng_size(); ++k) tree.rng[static_cast<std::size_t>(k)] = t.rng(k);
    tree.weights = copy_from<double>(t.weights());
    tree.sample = copy_from<std::uint32_t>(t.sample());
    tree.shape.assign(t.shape().begin(), t.shape().end());
    tree.cut_dimensions.reserve(static_cast<std::size_t>(t.cut_dimensions_size()));
    for (const std::uint32_t d : t.cut_dimensions()) {
      if (d > std::numeric_limits<std::uint16_t>::max()) return corrupt(where + ".cut_dimensions", "must fit 16 bits");
      tree.cut_dimensions.push_back(static_cast<std::uint16_t>(d));
    }
    tree.cut_values = copy_from<float>(t.cut_values());
    tree.leaf_points = copy_from<std::uint32_t>(t.leaf_points());
    tree.leaf_masses = copy_from<std::uint32_t>(t.leaf_masses());
    out.trees.push_back(std::move(tree));
  }
  return out;
}

void to_proto(const forest::AdaptiveThresholdSnapshot& in, pb::AdaptiveThresholdState& out) {
  out.set_z_factor(in.config.z_factor);
  out.set_upper_z_factor(in.config.upper_z_factor);
  out.set_min_score(in.config.min_score);
  out.set_decay(in.config.decay);
  out.set_warmup(in.config.warmup);
  out.set_count(in.count);
  out.set_weight(in.weight);
  out.set_mean(in.mean);
  out.set_m2(in.m2);
}

forest::AdaptiveThresholdSnapshot from_proto(const pb::AdaptiveThresholdState& in) {
  forest::AdaptiveThresholdSnapshot out;
  out.config.z_factor = in.z_factor();
  out.config.upper_z_factor = in.upper_z_factor();
  out.config.min_score = in.min_score();
  out.config.decay = in.decay();
  out.config.warmup = in.warmup();
  out.count = in.count();
  out.weight = in.weight();
  out.mean = in.mean();
  out.m2 = in.m2();
  return out;
}

void to_proto(const forest::ThresholdedForestSnapshot& in, pb::ThresholdedForestState& out) {
  to_proto(in.forest, *out.mutable_forest());
  to_proto(in.threshold, *out.mutable_threshold());
  out.set_processed(in.processed);
}

Result<forest::ThresholdedForestSnapshot> from_proto(const pb::ThresholdedForestState& in) {
  auto forest = from_proto(in.forest());
  if (!forest) return std::unexpected(forest.error());
  return forest::ThresholdedForestSnapshot{std::move(*forest), from_proto(in.threshold()), in.processed()};
}

void to_proto(const stats::SeverityBandsSnapshot& in, pb::SeverityBandsState& out) {
  out.set_low(in.config.low);
  out.set_medium(in.config.medium);
  out.set_high(in.config.high);
  out.set_critical(in.config.critical);
}

stats::SeverityBandsSnapshot from_proto(const pb::SeverityBandsState& in) {
  return {{.low = in.low(), .medium = in.medium(), .high = in.high(), .critical = in.critical()}};
}

void to_proto(const drift::PerFeatureCusumSnapshot& in, pb::CusumState& out) {
  out.set_dimension(in.config.dimension);
  out.set_slack(in.config.slack);
  out.set_threshold(in.config.threshold);
  out.set_warmup(in.config.warmup);
  out.set_min_sigma(in.config.min_sigma);
  copy_to(in.config.baseline_mean, out.mutable_baseline_mean());
  copy_to(in.config.baseline_sigma, out.mutable_baseline_sigma());
  out.set_baseline_ready(in.baseline_ready);
  out.set_warmup_seen(in.warmup_seen);
  out.set_observations(in.observations);
  copy_to(in.mean, out.mutable_mean());
  copy_to(in.m2, out.mutable_m2());
  copy_to(in.sigma, out.mutable_sigma());
  copy_to(in.upper, out.mutable_upper());
  copy_to(in.lower, out.mutable_lower());
  copy_to(in.upper_run, out.mutable_upper_run());
  copy_to(in.lower_run, out.mutable_lower_run());
}

Result<drift::PerFeatureCusumSnapshot> from_proto(const pb::CusumState& in) {
  drift::PerFeatureCusumSnapshot out;
  auto dimension = size_field(in.dimension(), "cusum.dimension");
  auto warmup = size_field(in.warmup(), "cusum.warmup");
  if (!dimension) return std::unexpected(dimension.error());
  if (!warmup) return std::unexpected(warmup.error());
  out.config.dimension = *dimension;
  out.config.slack = in.slack();
  out.config.threshold = in.threshold();
  out.config.warmup = *warmup;
  out.config.min_sigma = in.min_sigma();
  out.config.baseline_mean = copy_from<double>(in.baseline_mean());
  out.config.baseline_sigma = copy_from<double>(in.baseline_sigma());
  out.baseline_ready = in.baseline_ready();
  out.warmup_seen = in.warmup_seen();
  out.observations = in.observations();
  out.mean = copy_from<double>(in.mean());
  out.m2 = copy_from<double>(in.m2());
  out.sigma = copy_from<double>(in.sigma());
  out.upper = copy_from<double>(in.upper());
  out.lower = copy_from<double>(in.lower());
  out.upper_run = copy_from<std::uint64_t>(in.upper_run());
  out.lower_run = copy_from<std::uint64_t>(in.lower_run());
  return out;
}

void to_proto(const drift::MetaDriftDetectorSnapshot& in, pb::MetaDriftState& out) {
  out.set_slack(in.config.slack);
  out.set_threshold(in.config.threshold);
  out.set_warmup(in.config.warmup);
  out.set_min_sigma(in.config.min_sigma);
  to_proto(in.cusum, *out.mutable_cusum());
  out.set_changes(in.changes);
}

Result<drift::MetaDriftDetectorSnapshot> from_proto(const pb::MetaDriftState& in) {
  drift::MetaDriftDetectorSnapshot out;
  auto warmup = size_field(in.warmup(), "meta_drift.warmup");
  if (!warmup) return std::unexpected(warmup.error());
  out.config.slack = in.slack();
  out.config.threshold = in.threshold();
  out.config.warmup = *warmup;
  out.config.min_sigma = in.min_sigma();
  auto cusum = from_proto(in.cusum());
  if (!cusum) return std::unexpected(cusum.error());
  out.cusum = std::move(*cusum);
  out.changes = in.changes();
  return out;
}

void to_proto(const subsequence::SubsequenceKMeansSnapshot& in, pb::SubsequenceKMeansState& out) {
  const auto& c = in.config;
  out.set_dimension(c.dimension);
  out.set_window(c.window);
  out.set_clusters(c.clusters);
  out.set_warmup(c.warmup);
  out.set_reservoir(c.reservoir);
  out.set_max_count(c.max_count);
  out.set_max_iterations(c.max_iterations);
  out.set_alignment(c.alignment == subsequence::ScoreAlignment::lagged ? pb::SCORE_ALIGNMENT_LAGGED
                                                                       : pb::SCORE_ALIGNMENT_NEWEST);
  out.set_newest_weight(c.newest_weight);
  out.set_seed(c.seed);
  out.set_rows_seen(in.rows_seen);
  out.set_windows_learned(in.windows_learned);
  copy_to(in.recent, out.mutable_recent());
  copy_to(in.centroids, out.mutable_centroids());
  copy_to(in.counts, out.mutable_counts());
  copy_to(in.reservoir, out.mutable_reservoir_windows());
  copy_to(in.rng, out.mutable_rng());
  copy_to(in.recent_scores, out.mutable_recent_scores());
}

Result<subsequence::SubsequenceKMeansSnapshot> from_proto(const pb::SubsequenceKMeansState& in) {
  subsequence::SubsequenceKMeansSnapshot out;
  auto& c = out.config;
  const std::pair<std::uint64_t, std::size_t*> sizes[] = {
      {in.dimension(), &c.dimension}, {in.window(), &c.window},       {in.clusters(), &c.clusters},
      {in.warmup(), &c.warmup},       {in.reservoir(), &c.reservoir}, {in.max_count(), &c.max_count},
      {in.max_iterations(), &c.max_iterations}};
  for (const auto& [wire, member] : sizes) {
    auto value = size_field(wire, "kmeans.config");
    if (!value) return std::unexpected(value.error());
    *member = *value;
  }
  auto alignment = alignment_from(in.alignment(), "kmeans.alignment");
  if (!alignment) return std::unexpected(alignment.error());
  c.alignment = *alignment;
  c.newest_weight = in.newest_weight();  // restore() checks its bound
  c.seed = in.seed();
  out.rows_seen = in.rows_seen();
  out.windows_learned = in.windows_learned();
  out.recent = copy_from<double>(in.recent());
  out.centroids = copy_from<double>(in.centroids());
  out.counts = copy_from<std::uint64_t>(in.counts());
  out.reservoir = copy_from<float>(in.reservoir_windows());
  if (in.rng_size() != static_cast<int>(out.rng.size())) return corrupt("kmeans.rng", "must hold 4 words");
  std::copy(in.rng().begin(), in.rng().end(), out.rng.begin());
  out.recent_scores = copy_from<double>(in.recent_scores());
  return out;
}

void to_proto(const subsequence::LeftMatrixProfileSnapshot& in, pb::LeftMatrixProfileState& out) {
  const auto& c = in.config;
  out.set_window(c.window);
  out.set_history(c.history);
  out.set_exclusion(c.exclusion);
  out.set_alignment(c.alignment == subsequence::ScoreAlignment::lagged ? pb::SCORE_ALIGNMENT_LAGGED
                                                                       : pb::SCORE_ALIGNMENT_NEWEST);
  out.set_normalize(c.normalize);
  out.set_warmup(c.warmup);
  out.set_rows_seen(in.rows_seen);
  out.set_reference(in.reference);
  copy_to(in.recent, out.mutable_recent());
  copy_to(in.dot_products, out.mutable_dot_products());
  copy_to(in.recent_scores, out.mutable_recent_scores());
}

Result<subsequence::LeftMatrixProfileSnapshot> from_proto(const pb::LeftMatrixProfileState& in) {
  subsequence::LeftMatrixProfileSnapshot out;
  auto& c = out.config;
  const std::pair<std::uint64_t, std::size_t*> sizes[] = {
      {in.window(), &c.window}, {in.history(), &c.history}, {in.exclusion(), &c.exclusion}};
  for (const auto& [wire, member] : sizes) {
    auto value = size_field(wire, "left_mp.config");
    if (!value) return std::unexpected(value.error());
    *member = *value;
  }
  auto alignment = alignment_from(in.alignment(), "left_mp.alignment");
  if (!alignment) return std::unexpected(alignment.error());
  c.alignment = *alignment;
  c.normalize = in.normalize();
  c.warmup = in.warmup();
  out.rows_seen = in.rows_seen();
  out.reference = in.reference();
  out.recent = copy_from<double>(in.recent());
  out.dot_products = copy_from<double>(in.dot_products());
  out.recent_scores = copy_from<double>(in.recent_scores());
  return out;
}

void to_proto(const ScoreGateSnapshot& in, pb::ScoreGateState& out) {
  to_proto(in.threshold, *out.mutable_threshold());
  to_proto(in.severity, *out.mutable_severity());
  to_proto(in.meta_drift, *out.mutable_meta_drift());
}

Result<ScoreGateSnapshot> from_proto(const pb::ScoreGateState& in) {
  auto drift = from_proto(in.meta_drift());
  if (!drift) return std::unexpected(drift.error());
  return ScoreGateSnapshot{from_proto(in.threshold()), from_proto(in.severity()), std::move(*drift)};
}

}  // namespace anomstream::daemon
