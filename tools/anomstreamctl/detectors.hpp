#pragma once
// The detectors `anomstreamctl eval` runs over a whole TSB-AD file, each producing one
// score per row (higher = more anomalous), and the small YAML file that configures them.
//
// Streaming detectors (rcf, trcf, ewma, cusum, kmeans, left_mp, ensemble) are prequential: every row is
// scored against the state learned from the rows before it, then learned, as the daemon
// sees a stream. `mp` (Matrix Profile) is a batch detector: it sees the whole series at
// once.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/eval/tsb_ad_m_dataset.hpp"
#include "anomstream/stats/score_ensemble.hpp"
#include "anomstream/subsequence/subsequence_kmeans.hpp"

namespace anomstream::tools {

// Largest shingle chosen automatically for a univariate series (the VUS window, capped).
inline constexpr std::size_t MAX_AUTO_SHINGLE = 32;

struct DetectorConfig {
  std::size_t num_trees = 100;
  std::size_t sample_size = 256;
  double time_decay = -1.0;       // < 0: the forest's default, 0.1 / sample_size
  std::size_t shingle_size = 0;   // 0: the VUS window capped at MAX_AUTO_SHINGLE for one
                                  // feature, 1 (no shingle) for several
  std::string normalizer = "train";  // train: z-score with the prefix data[:tr];
                                     // stream: z-score with the rows seen so far; none
  double ewma_alpha = 0.01;       // ewma/cusum: weight of the newest row in mean and variance
  double cusum_slack = 0.5;       // cusum: allowance k in standard deviations
  // kmeans: rows per window and centroids. TSB-AD's KMeansAD tuning chose W = 40, k = 10.
  std::size_t window = 40;
  std::size_t k = 10;
  // kmeans: least warm-up in windows. The warm-up is the windows of the training prefix
  // data[:tr], or this many if the prefix has fewer.
  std::size_t min_warmup = 0;
  // kmeans: largest n of the online update (a centroid's memory in windows).
  std::size_t max_count = 1000;
  // kmeans: extra weight of the window's newest row in the score (0: KMeansAD's distance).
  double newest_weight = subsequence::SubsequenceKMeansConfig{}.newest_weight;
  // left_mp: subsequences kept as candidate neighbours (H). 0: the whole series seen so
  // far, as TSB-AD's Left_STAMPi keeps it; memory then grows to about 64 bytes per row.
  std::size_t history = 0;
  // left_mp: z-normalised distances (true, the matrix profile) or the plain Euclidean
  // distance of the raw subsequences (false, stumpy's aamp).
  bool normalize = false;
  // left_mp: rows scored 0 while the history builds up (LeftMatrixProfileConfig::warmup).
  // -1: the training prefix data[:tr], the rows the file name marks as normal.
  std::int64_t warmup = -1;
  // kmeans and left_mp: lagged (each row's score arrives window / 2 rows late: the mean
  // score of the windows covering it seen by then, as TSB-AD averages the windows covering
  // a point) or newest (the window ending at the row, no delay).
  std::string alignment = "lagged";
  // ensemble: recent scores per member that calibrate it, and how the members' surprises
  // combine (max: the most surprised member; sum: Fisher's sum of -ln p).
  std::size_t ensemble_history = stats::ScoreEnsembleConfig{}.history;
  std::string ensemble_rule = "max";
  // Every detector: keep the scores of the training prefix data[:tr] (keep), or set them
  // to 0 (zero).
  std::string train_scores = "keep";
  std::uint64_t seed = 42;
};

// Reads detector parameters from YAML (keys as DetectorConfig's fields, at
// the top level or under `forest:`). An unknown key or a bad value is an error naming
// the key and its line.
[[nodiscard]] std::expected<DetectorConfig, std::string> load_detector_config(const std::string& path);

// The detector names eval accepts.
[[nodiscard]] bool is_known_detector(std::string_view name);
inline constexpr std::string_view KNOWN_DETECTORS = "rcf, trcf, mp, ewma, cusum, kmeans, left_mp, ensemble";
// The detectors that score one feature only (mp, left_mp): n/a on multivariate files.
[[nodiscard]] bool is_univariate_detector(std::string_view name);

// Scores every row of `data` with detector `name`. `window` is the series' VUS window
// (find_length_rank of the first channel). Errors: a detector that does not apply
// (mp or left_mp on several features) or an invalid configuration, as text.
[[nodiscard]] std::expected<std::vector<double>, std::string> score_series(std::string_view name,
                                                                           const eval::TsbAdMDataset& data,
                                                                           std::size_t window,
                                                                           const DetectorConfig& config);

}  // namespace anomstream::tools
