#include "detectors.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "anomstream/drift/per_feature_cusum.hpp"
#include "anomstream/forest/random_cut_forest.hpp"
#include "anomstream/forest/shingled_forest.hpp"
#include "anomstream/forest/thresholded_forest.hpp"
#include "anomstream/stats/per_feature_ewma.hpp"
#include "anomstream/stats/score_ensemble.hpp"
#include "anomstream/subsequence/left_matrix_profile.hpp"
#include "anomstream/subsequence/subsequence_kmeans.hpp"
#include "anomstream/timeseries/matrix_profile.hpp"

namespace anomstream::tools {
namespace {

std::string at_line(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1);
}

template <class T>
std::expected<T, std::string> read_scalar(const std::string& path, const std::string& key,
                                          const YAML::Node& value) {
  try {
    return value.as<T>();
  } catch (const YAML::Exception&) {
    return std::unexpected(at_line(path, value) + ": " + key + ": \"" +
                           (value.IsScalar() ? value.Scalar() : std::string("(not a scalar)")) +
                           "\" is not a valid value");
  }
}

std::expected<void, std::string> apply_map(const std::string& path, const YAML::Node& map, DetectorConfig& config,
                                           bool top_level) {
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    auto set_size = [&](std::size_t& field) -> std::expected<void, std::string> {
      auto v = read_scalar<std::size_t>(path, key, value);
      if (!v) return std::unexpected(v.error());
      field = *v;
      return {};
    };
    auto set_double = [&](double& field) -> std::expected<void, std::string> {
      auto v = read_scalar<double>(path, key, value);
      if (!v) return std::unexpected(v.error());
      field = *v;
      return {};
    };
    std::expected<void, std::string> done;
    if (key == "forest" && top_level && value.IsMap()) {
      done = apply_map(path, value, config, false);
    } else if (key == "num_trees") {
      done = set_size(config.num_trees);
    } else if (key == "sample_size") {
      done = set_size(config.sample_size);
    } else if (key == "time_decay") {
      done = set_double(config.time_decay);
    } else if (key == "shingle_size") {
      done = set_size(config.shingle_size);
    } else if (key == "ewma_alpha") {
      done = set_double(config.ewma_alpha);
    } else if (key == "cusum_slack") {
      done = set_double(config.cusum_slack);
    } else if (key == "window") {
      done = set_size(config.window);
    } else if (key == "k") {
      done = set_size(config.k);
    } else if (key == "min_warmup") {
      done = set_size(config.min_warmup);
    } else if (key == "max_count") {
      done = set_size(config.max_count);
    } else if (key == "newest_weight") {
      done = set_double(config.newest_weight);
    } else if (key == "ensemble_history") {
      done = set_size(config.ensemble_history);
    } else if (key == "ensemble_rule") {
      auto v = read_scalar<std::string>(path, key, value);
      if (!v) return std::unexpected(v.error());
      if (*v != "max" && *v != "sum") {
        return std::unexpected(at_line(path, value) + ": ensemble_rule: \"" + *v + "\" is not one of max, sum");
      }
      config.ensemble_rule = *v;
    } else if (key == "history") {
      done = set_size(config.history);
    } else if (key == "warmup") {
      auto v = read_scalar<std::int64_t>(path, key, value);
      if (!v) return std::unexpected(v.error());
      if (*v < -1) return std::unexpected(at_line(path, value) + ": warmup: must be -1 (the training prefix) or >= 0");
      config.warmup = *v;
    } else if (key == "normalize") {
      auto v = read_scalar<bool>(path, key, value);
      if (!v) return std::unexpected(v.error());
      config.normalize = *v;
    } else if (key == "alignment" || key == "train_scores") {
      auto v = read_scalar<std::string>(path, key, value);
      if (!v) return std::unexpected(v.error());
      const bool alignment = key == "alignment";
      const bool known = alignment ? (*v == "newest" || *v == "lagged") : (*v == "keep" || *v == "zero");
      if (!known) {
        return std::unexpected(at_line(path, value) + ": " + key + ": \"" + *v + "\" is not one of " +
                               (alignment ? "newest, lagged" : "keep, zero"));
      }
      (alignment ? config.alignment : config.train_scores) = *v;
    } else if (key == "seed") {
      auto v = read_scalar<std::uint64_t>(path, key, value);
      if (!v) return std::unexpected(v.error());
      config.seed = *v;
    } else if (key == "normalizer") {
      auto v = read_scalar<std::string>(path, key, value);
      if (!v) return std::unexpected(v.error());
      if (*v != "train" && *v != "stream" && *v != "none") {
        return std::unexpected(at_line(path, value) + ": normalizer: \"" + *v +
                               "\" is not one of train, stream, none");
      }
      config.normalizer = *v;
    } else {
      return std::unexpected(at_line(path, entry.first) + ": unknown key \"" + key + "\"");
    }
    if (!done) return done;
  }
  return {};
}

// Z-scores the rows of `data` in place of a copy, with the chosen statistics.
std::vector<double> normalise(const eval::TsbAdMDataset& data, const std::string& kind) {
  const std::size_t n = data.rows();
  const std::size_t d = data.features();
  std::vector<double> out(data.values().begin(), data.values().end());
  if (kind == "none") return out;
  std::size_t prefix = n;
  if (kind == "train" && data.train_end()) prefix = std::min(n, *data.train_end());
  if (kind == "train") {
    for (std::size_t c = 0; c < d; ++c) {
      double mean = 0.0, m2 = 0.0;
      for (std::size_t r = 0; r < prefix; ++r) {
        const double x = out[r * d + c], delta = x - mean;
        mean += delta / static_cast<double>(r + 1);
        m2 += delta * (x - mean);
      }
      const double sd = prefix > 1 ? std::sqrt(m2 / static_cast<double>(prefix - 1)) : 0.0;
      const double scale = sd > 1e-12 ? 1.0 / sd : 1.0;
      for (std::size_t r = 0; r < n; ++r) out[r * d + c] = (out[r * d + c] - mean) * scale;
    }
    return out;
  }
  // stream: each row scaled by the statistics of the rows before it.
  std::vector<double> mean(d, 0.0), m2(d, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < d; ++c) {
      const double x = data.values()[r * d + c];
      const double sd = r > 1 ? std::sqrt(m2[c] / static_cast<double>(r - 1)) : 0.0;
      out[r * d + c] = (x - mean[c]) * (sd > 1e-12 ? 1.0 / sd : 1.0);
      const double delta = x - mean[c];
      mean[c] += delta / static_cast<double>(r + 1);
      m2[c] += delta * (x - mean[c]);
    }
  }
  return out;
}

forest::ForestConfig forest_config(const DetectorConfig& config, std::size_t dimension) {
  forest::ForestConfig f;
  f.dimension = dimension;
  f.num_trees = config.num_trees;
  f.sample_size = config.sample_size;
  f.seed = config.seed;
  f.time_decay = config.time_decay < 0 ? forest::default_time_decay(config.sample_size) : config.time_decay;
  f.output_after = forest::default_output_after(config.sample_size);
  return f;
}

std::size_t shingle_for(const eval::TsbAdMDataset& data, std::size_t window, const DetectorConfig& config) {
  if (config.shingle_size > 0) return config.shingle_size;
  return data.features() == 1 ? std::clamp<std::size_t>(window, 1, MAX_AUTO_SHINGLE) : 1;
}

std::expected<std::vector<double>, std::string> score_forest(const eval::TsbAdMDataset& data, std::size_t window,
                                                             const DetectorConfig& config) {
  const std::size_t n = data.rows(), d = data.features();
  const auto values = normalise(data, config.normalizer);
  forest::ShingledForestConfig sc;
  sc.input_dimension = d;
  sc.shingle_size = shingle_for(data, window, config);
  sc.forest = forest_config(config, d * sc.shingle_size);
  auto forest = forest::ShingledForest::create(sc);
  if (!forest) return std::unexpected(forest.error().message());
  std::vector<double> scores(n, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    auto s = forest->process(std::span<const double>(values).subspan(r * d, d), true);
    if (!s) return std::unexpected("row " + std::to_string(r + 1) + ": " + s.error().message());
    scores[r] = *s;
  }
  return scores;
}

std::expected<std::vector<double>, std::string> score_thresholded(const eval::TsbAdMDataset& data,
                                                                  const DetectorConfig& config) {
  const std::size_t n = data.rows(), d = data.features();
  const auto values = normalise(data, config.normalizer);
  forest::ThresholdedForestConfig tc;
  tc.forest = forest_config(config, d);
  auto forest = forest::ThresholdedForest::create(tc);
  if (!forest) return std::unexpected(forest.error().message());
  std::vector<double> scores(n, 0.0);
  forest::AnomalyDescriptor descriptor;
  for (std::size_t r = 0; r < n; ++r) {
    auto s = forest->process(std::span<const double>(values).subspan(r * d, d), true, descriptor);
    if (!s) return std::unexpected("row " + std::to_string(r + 1) + ": " + s.error().message());
    // The grade ranks graded points; the raw score (scaled below 1) orders the rest.
    scores[r] = descriptor.grade + descriptor.score / (1.0 + descriptor.score);
  }
  return scores;
}

std::expected<void, std::string> require_univariate(std::string_view name, const eval::TsbAdMDataset& data) {
  if (data.features() == 1) return {};
  return std::unexpected(std::string(name) + " scores univariate series only (this file has " +
                         std::to_string(data.features()) + " features)");
}

std::expected<std::vector<double>, std::string> score_matrix_profile(const eval::TsbAdMDataset& data,
                                                                     std::size_t window) {
  if (auto ok = require_univariate("mp", data); !ok) return std::unexpected(ok.error());
  const auto series = data.column(0);
  const std::size_t m = std::clamp<std::size_t>(window, timeseries::MatrixProfile::MIN_WINDOW, series.size());
  auto profile = timeseries::MatrixProfile::compute(series, {.window = m});
  if (!profile) return std::unexpected(profile.error().message());
  auto scores = profile->point_scores();
  // Windows with no finite neighbour distance carry no evidence.
  for (auto& s : scores) {
    if (!std::isfinite(s)) s = 0.0;
  }
  return scores;
}

// ewma: max over features of |x - mean| / sd with exponentially weighted mean and
// variance from the rows before (PerFeatureEwma); a feature whose sd is at most 1e-12
// counts 0. cusum: max over features of the two-sided CUSUM of those z-scores with
// allowance k, run by PerFeatureCusumEngine on a unit baseline (mean 0, sigma 1) so the
// z-scores pass through unchanged, with the largest decision interval (1e6) so that it
// restarts only past it.
std::expected<std::vector<double>, std::string> score_per_feature(const eval::TsbAdMDataset& data,
                                                                  const DetectorConfig& config, bool cusum) {
  constexpr double MIN_STDDEV = 1e-12;
  const std::size_t n = data.rows(), d = data.features();
  auto ewma = stats::PerFeatureEwma<>::create(
      d, {.alpha = config.ewma_alpha, .z_threshold = 4.0, .warmup = 1, .min_stddev = MIN_STDDEV});
  if (!ewma) return std::unexpected(ewma.error().message());
  drift::PerFeatureCusumConfig cc;
  cc.dimension = d;
  cc.slack = config.cusum_slack;
  cc.threshold = 1e6;
  cc.baseline_mean.assign(d, 0.0);
  cc.baseline_sigma.assign(d, 1.0);
  auto chart = drift::PerFeatureCusumEngine::create(cc);
  if (!chart) return std::unexpected(chart.error().message());
  std::vector<double> z(d, 0.0);
  std::vector<double> scores(n, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    // The variance the row is scored against, before observe folds the row in.
    for (std::size_t c = 0; c < d; ++c) z[c] = std::sqrt(ewma->variance()[c]) > MIN_STDDEV ? 1.0 : 0.0;
    auto observed = ewma->observe(data.row(r));
    if (!observed) return std::unexpected("row " + std::to_string(r + 1) + ": " + observed.error().message());
    if (r == 0) continue;
    double score = 0.0;
    for (std::size_t c = 0; c < d; ++c) {
      z[c] *= ewma->z_scores()[c];
      score = std::max(score, std::abs(z[c]));
    }
    if (cusum) {
      if (auto charted = chart->observe(z); !charted) {
        return std::unexpected("row " + std::to_string(r + 1) + ": " + charted.error().message());
      }
      score = 0.0;
      for (std::size_t c = 0; c < d; ++c) {
        score = std::max({score, chart->upper_statistic()[c], chart->lower_statistic()[c]});
      }
    }
    scores[r] = score;
  }
  return scores;
}

subsequence::ScoreAlignment alignment_of(const DetectorConfig& config) {
  return config.alignment == "lagged" ? subsequence::ScoreAlignment::lagged : subsequence::ScoreAlignment::newest;
}

// Runs a streaming detector whose point score for row r arrives with row r + lag: `step(r)`
// processes row r and returns the score it reports. The last lag rows, which a stream
// would score after it ends, keep the last score reported.
template <class Step>
std::expected<std::vector<double>, std::string> run_lagged(std::size_t n, std::size_t lag, Step step) {
  std::vector<double> scores(n, 0.0);
  double last = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    auto s = step(r);
    if (!s) return std::unexpected("row " + std::to_string(r + 1) + ": " + s.error().message());
    last = *s;
    if (r >= lag) scores[r - lag] = last;
  }
  for (std::size_t r = n > lag ? n - lag : 0; r < n; ++r) scores[r] = last;
  return scores;
}

// kmeans: SubsequenceKMeans over the raw rows (each window z-normalised as a whole). It
// warms up on the windows inside the training prefix data[:tr] (the rows TSB-AD gives its
// semi-supervised methods as normal data).
std::expected<std::vector<double>, std::string> score_kmeans(const eval::TsbAdMDataset& data,
                                                             const DetectorConfig& config) {
  const std::size_t n = data.rows(), d = data.features();
  subsequence::SubsequenceKMeansConfig kc;
  kc.dimension = d;
  kc.window = config.window;
  kc.clusters = config.k;
  kc.alignment = alignment_of(config);
  kc.seed = config.seed;
  const std::size_t prefix = std::min(n, data.train_end().value_or(n));
  kc.warmup = std::max({kc.clusters, prefix >= kc.window ? prefix - kc.window + 1 : 0, config.min_warmup});
  kc.max_count = config.max_count;
  kc.newest_weight = config.newest_weight;
  auto detector = subsequence::SubsequenceKMeans::create(kc);
  if (!detector) return std::unexpected(detector.error().message());
  return run_lagged(n, detector->lag(), [&](std::size_t r) { return detector->process(data.row(r)); });
}

// left_mp: LeftMatrixProfile with m = the VUS window (as mp) over the raw values; history
// from the config (0: every subsequence before, as TSB-AD's Left_STAMPi); scores 0 for
// the first `warmup` rows (-1: the training prefix data[:tr]; Left_STAMPi has an initial
// stretch too, n_init_train).
std::expected<std::vector<double>, std::string> score_left_matrix_profile(const eval::TsbAdMDataset& data,
                                                                          std::size_t window,
                                                                          const DetectorConfig& config) {
  if (auto ok = require_univariate("left_mp", data); !ok) return std::unexpected(ok.error());
  const std::size_t n = data.rows();
  subsequence::LeftMatrixProfileConfig lc;
  lc.window = std::clamp<std::size_t>(window, subsequence::LeftMatrixProfile::MIN_WINDOW,
                                      subsequence::LeftMatrixProfile::MAX_WINDOW);
  const std::size_t whole = n >= lc.window ? n - lc.window + 1 : 1;
  lc.history = config.history > 0 ? config.history : std::max<std::size_t>(whole, lc.window + 1);
  lc.alignment = alignment_of(config);
  lc.normalize = config.normalize;
  lc.warmup = config.warmup >= 0 ? static_cast<std::uint64_t>(config.warmup) : std::min(n, data.train_end().value_or(0));
  auto detector = subsequence::LeftMatrixProfile::create(lc);
  if (!detector) return std::unexpected(detector.error().message());
  const auto series = data.column(0);
  return run_lagged(n, detector->lag(), [&](std::size_t r) { return detector->process(series[r]); });
}

// ensemble: `kmeans` (the window's shape) and `rcf` (the row's magnitude), each score
// turned into a surprise -ln p against that detector's own recent scores and combined by
// ScoreEnsemble, row by row in stream order (each row is calibrated against the rows
// before it). The members run as above; with lagged kmeans the pair for a row is
// complete W/2 rows later.
std::expected<std::vector<double>, std::string> score_ensemble(const eval::TsbAdMDataset& data, std::size_t window,
                                                               const DetectorConfig& config) {
  auto shape = score_kmeans(data, config);
  if (!shape) return shape;
  auto magnitude = score_forest(data, window, config);
  if (!magnitude) return magnitude;
  stats::ScoreEnsembleConfig ec;
  ec.members = 2;
  ec.history = config.ensemble_history;
  ec.min_history = std::min(ec.min_history, ec.history);
  ec.rule = config.ensemble_rule == "sum" ? stats::EnsembleRule::sum : stats::EnsembleRule::max;
  auto ensemble = stats::ScoreEnsemble::create(ec);
  if (!ensemble) return std::unexpected(ensemble.error().message());
  std::vector<double> scores(data.rows(), 0.0);
  for (std::size_t r = 0; r < scores.size(); ++r) {
    const double pair[2] = {(*shape)[r], (*magnitude)[r]};
    auto s = ensemble->process(pair);
    if (!s) return std::unexpected("row " + std::to_string(r + 1) + ": " + s.error().message());
    scores[r] = *s;
  }
  return scores;
}

std::expected<std::vector<double>, std::string> score_by_name(std::string_view name,
                                                              const eval::TsbAdMDataset& data,
                                                              std::size_t window, const DetectorConfig& config) {
  if (name == "rcf") return score_forest(data, window, config);
  if (name == "trcf") return score_thresholded(data, config);
  if (name == "mp") return score_matrix_profile(data, window);
  if (name == "ewma") return score_per_feature(data, config, false);
  if (name == "cusum") return score_per_feature(data, config, true);
  if (name == "kmeans") return score_kmeans(data, config);
  if (name == "ensemble") return score_ensemble(data, window, config);
  if (name == "left_mp") return score_left_matrix_profile(data, window, config);
  return std::unexpected("unknown detector \"" + std::string(name) + "\" (known: " +
                         std::string(KNOWN_DETECTORS) + ")");
}

}  // namespace

std::expected<DetectorConfig, std::string> load_detector_config(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return std::unexpected(path + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    return std::unexpected(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  DetectorConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) return std::unexpected(at_line(path, root) + ": expected a map of detector parameters");
  auto applied = apply_map(path, root, config, true);
  if (!applied) return std::unexpected(applied.error());
  return config;
}

bool is_known_detector(std::string_view name) {
  return name == "rcf" || name == "trcf" || name == "mp" || name == "ewma" || name == "cusum" ||
         name == "kmeans" || name == "left_mp" || name == "ensemble";
}

bool is_univariate_detector(std::string_view name) { return name == "mp" || name == "left_mp"; }

std::expected<std::vector<double>, std::string> score_series(std::string_view name, const eval::TsbAdMDataset& data,
                                                             std::size_t window, const DetectorConfig& config) {
  auto scores = score_by_name(name, data, window, config);
  if (scores && config.train_scores == "zero") {
    const std::size_t prefix = std::min(scores->size(), data.train_end().value_or(0));
    std::fill(scores->begin(), scores->begin() + static_cast<std::ptrdiff_t>(prefix), 0.0);
  }
  return scores;
}

}  // namespace anomstream::tools
