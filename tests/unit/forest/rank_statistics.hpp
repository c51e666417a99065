#pragma once
// Rank statistics for comparing score series: Spearman's rho (average ranks for ties),
// ROC-AUC (Mann-Whitney), and the percentile rank of chosen points.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace anomstream::test {

// Ranks 1..n with ties given their average rank.
inline std::vector<double> average_ranks(const std::vector<double>& x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> ranks(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) {
      ++j;
    }
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) {
      ranks[order[k]] = rank;
    }
    i = j + 1;
  }
  return ranks;
}

inline double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ra = average_ranks(a);
  const std::vector<double> rb = average_ranks(b);
  const double n = static_cast<double>(a.size());
  const double mean = (n + 1) / 2;
  double cov = 0, va = 0, vb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) * (ra[i] - mean);
    vb += (rb[i] - mean) * (rb[i] - mean);
  }
  return cov / std::sqrt(va * vb);
}

// Probability that a random positive scores above a random negative (ties count half).
inline double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  const std::vector<double> ranks = average_ranks(scores);
  double positives = 0, rank_sum = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 0) {
      positives += 1;
      rank_sum += ranks[i];
    }
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

// Percentile (0..100) of scores[i] among all scores: the share strictly below it.
inline double percentile_of(const std::vector<double>& sorted, double value) {
  const auto below = std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin();
  return 100.0 * static_cast<double>(below) / static_cast<double>(sorted.size());
}

}  // namespace anomstream::test
