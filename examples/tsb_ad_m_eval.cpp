// tsb_ad_m_eval FILE.csv: scores one TSB-AD-M (or -U) file with a runtime-dimension
// RandomCutForest, prequentially (each row scored, then learned), and prints its VUS-PR
// with TSB-AD's window (find_length_rank on the first channel). Features are z-scored
// with the mean and standard deviation of the training prefix data[:tr] from the file
// name. `anomstreamctl eval` is the full tool (folders, other detectors, tables).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "anomstream/eval/find_length_rank.hpp"
#include "anomstream/eval/tsb_ad_m_dataset.hpp"
#include "anomstream/eval/tsb_ad_metrics.hpp"
#include "anomstream/forest/random_cut_forest.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tsb_ad_m_eval FILE.csv\n");
    return 2;
  }
  auto data = anomstream::eval::TsbAdMDataset::load(argv[1]);
  if (!data) {
    std::fprintf(stderr, "%s: %s\n", argv[1], data.error().message().c_str());
    return 2;
  }
  const std::size_t n = data->rows(), d = data->features();
  const std::size_t prefix = std::min(n, data->train_end().value_or(n));

  std::vector<double> mean(d, 0.0), scale(d, 1.0);
  for (std::size_t c = 0; c < d; ++c) {
    double sum = 0.0, sum_sq = 0.0;
    for (std::size_t r = 0; r < prefix; ++r) sum += data->row(r)[c];
    mean[c] = sum / static_cast<double>(prefix);
    for (std::size_t r = 0; r < prefix; ++r) sum_sq += std::pow(data->row(r)[c] - mean[c], 2);
    const double sd = prefix > 1 ? std::sqrt(sum_sq / static_cast<double>(prefix - 1)) : 0.0;
    if (sd > 1e-12) scale[c] = 1.0 / sd;
  }

  anomstream::forest::ForestConfig config;
  config.dimension = d;
  config.seed = 42;
  auto forest = anomstream::forest::RandomCutForest::create(config);
  if (!forest) {
    std::fprintf(stderr, "%s\n", forest.error().message().c_str());
    return 2;
  }
  std::vector<double> point(d), scores(n, 0.0);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < d; ++c) point[c] = (data->row(r)[c] - mean[c]) * scale[c];
    auto score = forest->score_and_update(point);
    if (!score) {
      std::fprintf(stderr, "row %zu: %s\n", r + 1, score.error().message().c_str());
      return 2;
    }
    scores[r] = *score;
  }

  auto window = anomstream::eval::find_length_rank(data->column(0));
  if (!window) {
    std::fprintf(stderr, "%s\n", window.error().message().c_str());
    return 2;
  }
  auto metrics = anomstream::eval::tsb_ad_metrics(data->labels(), scores, *window);
  if (!metrics) {
    std::fprintf(stderr, "%s\n", metrics.error().message().c_str());
    return 2;
  }
  std::printf("rows %zu\nfeatures %zu\nwindow %zu\nVUS-PR %.6f\nVUS-ROC %.6f\n", n, d, *window, metrics->vus_pr,
              metrics->vus_roc);
  return 0;
}
