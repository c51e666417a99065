#include "anomstream/eval/auc.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "anomstream/eval/anomaly_ranges.hpp"

namespace anomstream::eval {

Result<AucResult> point_auc(std::span<const std::uint8_t> labels,
                            std::span<const double> scores) {
  if (auto ok = validate_labels_and_scores(labels, scores); !ok) {
    return std::unexpected(ok.error());
  }
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&scores](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  const auto positives = static_cast<double>(std::count(labels.begin(), labels.end(), 1));
  const auto negatives = static_cast<double>(labels.size()) - positives;

  AucResult result;
  double tp = 0.0;
  double fp = 0.0;
  double prev_tpr = 0.0;
  double prev_fpr = 0.0;
  double prev_precision = 1.0;
  for (std::size_t i = 0; i < order.size();) {
    // One threshold per distinct score: the whole tie group enters at once.
    const double score = scores[order[i]];
    for (; i < order.size() && scores[order[i]] == score; ++i) {
      (labels[order[i]] != 0 ? tp : fp) += 1.0;
    }
    const double tpr = tp / positives;
    const double fpr = fp / negatives;
    const double precision = tp / (tp + fp);
    result.roc += (fpr - prev_fpr) * (tpr + prev_tpr) / 2.0;
    result.pr += (tpr - prev_tpr) * precision;
    result.pr_trapezoid += (tpr - prev_tpr) * (precision + prev_precision) / 2.0;
    prev_tpr = tpr;
    prev_fpr = fpr;
    prev_precision = precision;
  }
  return result;
}

Result<double> auc_roc(std::span<const std::uint8_t> labels, std::span<const double> scores) {
  auto result = point_auc(labels, scores);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->roc;
}

Result<double> auc_pr(std::span<const std::uint8_t> labels, std::span<const double> scores) {
  auto result = point_auc(labels, scores);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->pr;
}

Result<double> auc_pr_trapezoid(std::span<const std::uint8_t> labels,
                                std::span<const double> scores) {
  auto result = point_auc(labels, scores);
  if (!result) {
    return std::unexpected(result.error());
  }
  return result->pr_trapezoid;
}

}  // namespace anomstream::eval
