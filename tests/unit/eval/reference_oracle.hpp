#pragma once
// Slow, literal C++ transcriptions of the reference loops (TSB-AD
// `basic_metricor.RangeAUC_volume_opt`, the VUS package's `RangeAUC`), O(W * K * T),
// used as an oracle for the fast engine on small random series, and the random series
// generator the property tests share. Independent of lib/core/src/eval: it follows the
// reference statement by statement (array copies, masks, segment loops).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <utility>
#include <vector>

namespace anomstream::eval::oracle {

using Segment = std::pair<std::ptrdiff_t, std::ptrdiff_t>;  // inclusive

struct Areas {
  double roc = 0;
  double pr = 0;
};

struct Vus {
  double roc = 0;
  double pr = 0;
  std::vector<Areas> per_window;
};

// TSB-AD `range_convers_new` (np.diff == +1 / -1) on 0/1 labels.
inline std::vector<Segment> range_convers_new(const std::vector<double>& label) {
  std::vector<std::ptrdiff_t> starts, ends;
  const auto n = static_cast<std::ptrdiff_t>(label.size());
  for (std::ptrdiff_t i = 0; i + 1 < n; ++i) {
    const double d = label[i + 1] - label[i];
    if (d == 1) starts.push_back(i + 1);
    if (d == -1) ends.push_back(i);
  }
  if (!ends.empty() && (starts.empty() || ends.front() < starts.front())) {
    starts.insert(starts.begin(), 0);
  }
  if (!starts.empty() && (ends.empty() || ends.back() < starts.back())) {
    ends.push_back(n - 1);
  }
  std::vector<Segment> out;
  for (std::size_t i = 0; i < std::min(starts.size(), ends.size()); ++i) {
    out.emplace_back(starts[i], ends[i]);
  }
  return out;
}

// VUS package `range_convers_new` (the while loop): maximal non-zero runs.
inline std::vector<Segment> nonzero_runs(const std::vector<double>& label) {
  std::vector<Segment> out;
  const auto n = static_cast<std::ptrdiff_t>(label.size());
  for (std::ptrdiff_t i = 0; i < n;) {
    if (label[i] == 0) {
      ++i;
      continue;
    }
    std::ptrdiff_t j = i;
    while (j < n && label[j] != 0) ++j;
    out.emplace_back(i, j - 1);
    i = j;
  }
  return out;
}

inline std::vector<Segment> new_sequence(std::ptrdiff_t length, const std::vector<Segment>& so,
                                         std::ptrdiff_t window) {
  const std::ptrdiff_t h = window / 2;
  std::ptrdiff_t a = std::max<std::ptrdiff_t>(so[0].first - h, 0);
  std::vector<Segment> out;
  for (std::size_t i = 0; i + 1 < so.size(); ++i) {
    if (so[i].second + h < so[i + 1].first - h) {
      out.emplace_back(a, so[i].second + h);
      a = so[i + 1].first - h;
    }
  }
  out.emplace_back(a, std::min(so.back().second + h, length - 1));
  return out;
}

// TSB-AD `sequencing` (= VUS `extend_postive_range` of 2025).
inline std::vector<double> sequencing(const std::vector<double>& x, const std::vector<Segment>& L,
                                      std::ptrdiff_t window) {
  std::vector<double> label = x;
  const auto n = static_cast<std::ptrdiff_t>(label.size());
  for (const auto& [s, e] : L) {
    for (std::ptrdiff_t x1 = e + 1; x1 < std::min(e + window / 2 + 1, n); ++x1) {
      label[x1] += std::sqrt(1 - static_cast<double>(x1 - e) / static_cast<double>(window));
    }
    for (std::ptrdiff_t x2 = std::max<std::ptrdiff_t>(s - window / 2, 0); x2 < s; ++x2) {
      label[x2] += std::sqrt(1 - static_cast<double>(s - x2) / static_cast<double>(window));
    }
  }
  for (auto& v : label) v = std::min(1.0, v);
  return label;
}

inline std::vector<std::size_t> linspace_ranks(std::size_t length, std::size_t thre) {
  std::vector<std::size_t> out;
  const double step = thre > 1 ? static_cast<double>(length - 1) / static_cast<double>(thre - 1) : 0;
  for (std::size_t k = 0; k < thre; ++k) {
    out.push_back(k + 1 == thre && thre > 1 ? length - 1
                                            : static_cast<std::size_t>(static_cast<double>(k) * step));
  }
  return out;
}

inline Vus range_auc_volume_opt(const std::vector<std::uint8_t>& labels_in,
                                const std::vector<double>& score, std::ptrdiff_t window_size,
                                std::size_t thre) {
  const std::vector<double> labels_original(labels_in.begin(), labels_in.end());
  const auto T = static_cast<std::ptrdiff_t>(score.size());
  double P = 0;
  for (double v : labels_original) P += v;
  const auto seq = range_convers_new(labels_original);
  const auto l = new_sequence(T, seq, window_size);
  std::vector<double> sorted = score;
  std::sort(sorted.begin(), sorted.end(), std::greater<>{});
  const auto ranks = linspace_ranks(score.size(), thre);
  std::vector<double> n_pred(thre);
  for (std::size_t k = 0; k < thre; ++k) {
    for (double s : score) n_pred[k] += s >= sorted[ranks[k]] ? 1 : 0;
  }
  Vus out;
  for (std::ptrdiff_t window = 0; window <= window_size; ++window) {
    const auto labels_extended = sequencing(labels_original, seq, window);
    const auto L = new_sequence(T, seq, window);
    std::vector<std::pair<double, double>> tf(thre + 2, {0.0, 0.0});
    std::vector<double> precision(thre + 1, 1.0);
    for (std::size_t j = 0; j < thre; ++j) {
      const double threshold = sorted[ranks[j]];
      std::vector<double> pred(score.size());
      for (std::size_t i = 0; i < score.size(); ++i) pred[i] = score[i] >= threshold ? 1 : 0;
      std::vector<double> labels = labels_extended;
      double existence = 0;
      for (const auto& [a, b] : L) {
        bool any = false;
        for (auto i = a; i <= b; ++i) {
          labels[i] = labels_extended[i] * pred[i];
          any = any || pred[i] > 0;
        }
        existence += any ? 1 : 0;
      }
      for (const auto& [a, b] : seq) {
        for (auto i = a; i <= b; ++i) labels[i] = 1;
      }
      double tp = 0, n_labels = 0;
      for (const auto& [a, b] : l) {
        for (auto i = a; i <= b; ++i) {
          tp += labels[i] * pred[i];
          n_labels += labels[i];
        }
      }
      const double fp = n_pred[j] - tp;
      const double existence_ratio = existence / static_cast<double>(L.size());
      const double p_new = (P + n_labels) / 2;
      const double recall = std::min(tp / p_new, 1.0);
      tf[j + 1] = {recall * existence_ratio, fp / (static_cast<double>(T) - p_new)};
      precision[j + 1] = tp / n_pred[j];
    }
    tf[thre + 1] = {1, 1};
    Areas areas;
    for (std::size_t m = 0; m + 1 < tf.size(); ++m) {
      areas.roc += (tf[m + 1].second - tf[m].second) * ((tf[m + 1].first + tf[m].first) / 2);
    }
    for (std::size_t m = 0; m < thre; ++m) {
      areas.pr += (tf[m + 1].first - tf[m].first) * precision[m + 1];
    }
    out.per_window.push_back(areas);
    out.roc += areas.roc;
    out.pr += areas.pr;
  }
  out.roc /= static_cast<double>(window_size + 1);
  out.pr /= static_cast<double>(window_size + 1);
  return out;
}

// VUS package `basic_metricor.RangeAUC(labels, score, window)`.
inline Areas range_auc(const std::vector<std::uint8_t>& labels_in, const std::vector<double>& score,
                       std::ptrdiff_t window, std::size_t thre) {
  const std::vector<double> original(labels_in.begin(), labels_in.end());
  double P = 0;
  for (double v : original) P += v;
  const auto labels = sequencing(original, nonzero_runs(original), window);
  const auto L = nonzero_runs(labels);
  std::vector<double> sorted = score;
  std::sort(sorted.begin(), sorted.end(), std::greater<>{});
  const auto ranks = linspace_ranks(score.size(), thre);
  std::vector<std::pair<double, double>> tf(thre + 2, {0.0, 0.0});
  std::vector<double> precision(thre + 1, 1.0);
  double label_sum = 0;
  for (double v : labels) label_sum += v;
  for (std::size_t j = 0; j < thre; ++j) {
    const double threshold = sorted[ranks[j]];
    std::vector<double> product(score.size());
    double tp = 0, n_pred = 0;
    for (std::size_t i = 0; i < score.size(); ++i) {
      const double pred = score[i] >= threshold ? 1 : 0;
      product[i] = labels[i] * pred;
      tp += product[i];
      n_pred += pred;
    }
    const double p_new = (P + label_sum) / 2;
    const double recall = std::min(tp / p_new, 1.0);
    double existence = 0;
    for (const auto& [a, b] : L) {
      double sum = 0;
      for (auto i = a; i <= b; ++i) sum += product[i];
      existence += sum > 0 ? 1 : 0;
    }
    tf[j + 1] = {recall * existence / static_cast<double>(L.size()),
                 (n_pred - tp) / (static_cast<double>(labels.size()) - p_new)};
    precision[j + 1] = tp / n_pred;
  }
  tf[thre + 1] = {1, 1};
  Areas areas;
  for (std::size_t m = 0; m + 1 < tf.size(); ++m) {
    areas.roc += (tf[m + 1].second - tf[m].second) * ((tf[m + 1].first + tf[m].first) / 2);
  }
  for (std::size_t m = 0; m < thre; ++m) {
    areas.pr += (tf[m + 1].first - tf[m].first) * ((precision[m + 1] + precision[m]) / 2);
  }
  return areas;
}

struct VusPred {
  double recall = 0;
  double precision = 0;
  double f1 = 0;
};

// TSB-AD `basic_metricor.metric_VUS_pred`, including its rebinding of `labels` to the
// previous buffer's mutated copy (skipped when `fresh` is set).
inline VusPred metric_vus_pred(const std::vector<std::uint8_t>& labels_in,
                               const std::vector<std::uint8_t>& preds_in,
                               std::ptrdiff_t window_size, bool fresh) {
  const std::vector<double> original(labels_in.begin(), labels_in.end());
  const std::vector<double> preds(preds_in.begin(), preds_in.end());
  const auto T = static_cast<std::ptrdiff_t>(original.size());
  double P = 0, n_pred = 0;
  for (double v : original) P += v;
  for (double v : preds) n_pred += v;
  const auto seq = range_convers_new(original);
  const auto l = new_sequence(T, seq, window_size);
  std::vector<double> labels = original;
  VusPred out;
  for (std::ptrdiff_t window = 0; window <= window_size; ++window) {
    const auto labels_extended = sequencing(fresh ? original : labels, seq, window);
    const auto L = new_sequence(T, seq, window);
    labels = labels_extended;
    for (const auto& [a, b] : L) {
      for (auto i = a; i <= b; ++i) labels[i] = labels_extended[i] * preds[i];
    }
    for (const auto& [a, b] : seq) {
      for (auto i = a; i <= b; ++i) labels[i] = 1;
    }
    double tp = 0, n_labels = 0;
    for (const auto& [a, b] : l) {
      for (auto i = a; i <= b; ++i) {
        tp += labels[i] * preds[i];
        n_labels += labels[i];
      }
    }
    const double p_new = (P + n_labels) / 2;
    const double recall = std::min(tp / p_new, 1.0);
    const double precision = tp / n_pred;
    out.recall += recall;
    out.precision += precision;
    out.f1 += precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
  }
  const auto windows = static_cast<double>(window_size + 1);
  out.recall /= windows;
  out.precision /= windows;
  out.f1 /= windows;
  return out;
}

// A random labelled, scored series. Label shapes: random ranges, ranges a few points
// apart, ranges at both ends, single points. Score shapes: noisy signal on the labels,
// heavy ties (a few integer levels), uniform noise. Always both classes.
struct Series {
  std::vector<std::uint8_t> labels;
  std::vector<double> scores;
};

inline Series random_series(std::mt19937_64& rng, std::size_t length) {
  std::uniform_int_distribution<int> shape(0, 3);
  std::uniform_int_distribution<int> score_shape(0, 2);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Series s;
  s.labels.assign(length, 0);
  const int label_shape = shape(rng);
  const std::size_t ranges = 1 + rng() % 5;
  for (std::size_t r = 0; r < ranges; ++r) {
    std::size_t start = rng() % length;
    std::size_t len = 1 + rng() % std::max<std::size_t>(1, length / 10);
    if (label_shape == 1 && r > 0) {  // close to the previous range
      start = std::min(length - 1, (start % 7) + length / 2 + r * 4);
    } else if (label_shape == 2) {  // touching the ends
      start = r % 2 == 0 ? 0 : length - len;
    } else if (label_shape == 3) {  // single points
      len = 1;
    }
    for (std::size_t i = start; i < std::min(length, start + len); ++i) s.labels[i] = 1;
  }
  s.labels[length / 3] = 0;  // at least one normal point
  bool any = false;
  for (auto v : s.labels) any = any || v != 0;
  if (!any) s.labels[length / 2] = 1;
  const int sshape = score_shape(rng);
  for (std::size_t i = 0; i < length; ++i) {
    const double base = s.labels[i] != 0 ? 0.6 : 0.4;
    if (sshape == 0) {
      s.scores.push_back(base + 0.3 * (unit(rng) - 0.5));
    } else if (sshape == 1) {
      s.scores.push_back(std::floor(4 * (base + 0.5 * (unit(rng) - 0.5))));
    } else {
      s.scores.push_back(unit(rng));
    }
  }
  return s;
}

}  // namespace anomstream::eval::oracle
