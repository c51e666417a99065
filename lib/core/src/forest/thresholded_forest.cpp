#include "anomstream/forest/thresholded_forest.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace anomstream::forest {
namespace {

// The expected value of an anomalous point: the features carrying most of its
// attribution (largest first until 80% of the score; at least one, at most half of
// them) are imputed from the sampled point nearest to it on the *other* features, the
// rest are kept. Conditioning on the unremarkable features keeps earlier anomalies in
// the sample from being chosen as the "normal" reference. With one feature the
// imputed value is the sample's mean, weighted by how many trees hold each point.
void impute_expected(const PointStore& store, std::span<const double> point, const DiVector& attribution,
                     std::vector<double>& expected) {
  const std::size_t dim = point.size();
  expected.assign(point.begin(), point.end());
  if (store.live_points() == 0 || attribution.high.size() != dim) return;
  std::vector<std::size_t> order(dim);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) {
    return attribution.high_low_sum(l) > attribution.high_low_sum(r);
  });
  const double total = attribution.total();
  std::vector<bool> imputed(dim, false);
  double covered = 0;
  const std::size_t limit = std::max<std::size_t>(1, dim / 2);
  for (std::size_t k = 0; k < limit && (k == 0 || covered < 0.8 * total); ++k) {
    imputed[order[k]] = true;
    covered += attribution.high_low_sum(order[k]);
  }
  if (dim == 1) {
    double sum = 0, weight = 0;
    for (std::uint32_t i = 0; i < store.slots(); ++i) {
      if (const auto refs = store.ref_count(i); refs > 0) {
        sum += refs * static_cast<double>(store.point(i)[0]);
        weight += refs;
      }
    }
    expected[0] = sum / weight;
    return;
  }
  double best = std::numeric_limits<double>::infinity();
  const float* nearest = nullptr;
  for (std::uint32_t i = 0; i < store.slots(); ++i) {
    if (store.ref_count(i) == 0) continue;
    const float* p = store.point(i);
    double d2 = 0;
    for (std::size_t j = 0; j < dim && d2 < best; ++j) {
      if (!imputed[j]) {
        const double diff = point[j] - static_cast<double>(p[j]);
        d2 += diff * diff;
      }
    }
    if (d2 < best) {
      best = d2;
      nearest = p;
    }
  }
  for (std::size_t j = 0; j < dim; ++j) {
    if (imputed[j]) expected[j] = static_cast<double>(nearest[j]);
  }
}

}  // namespace

Result<ThresholdedForest> ThresholdedForest::create(const ThresholdedForestConfig& config,
                                                    std::shared_ptr<TreeExecutor> executor) {
  auto threshold = AdaptiveThreshold::create(config.threshold);
  if (!threshold) return std::unexpected(threshold.error());
  auto forest = RandomCutForest::create(config.forest, std::move(executor));
  if (!forest) return std::unexpected(forest.error());
  return ThresholdedForest(std::move(*forest), *threshold);
}

Status ThresholdedForest::retune(const AdaptiveThresholdConfig& config) { return threshold_.retune(config); }

Result<ThresholdedForest> ThresholdedForest::restore(const ThresholdedForestSnapshot& snapshot,
                                                     std::shared_ptr<TreeExecutor> executor) {
  auto threshold = AdaptiveThreshold::restore(snapshot.threshold);
  if (!threshold) return std::unexpected(threshold.error());
  auto forest = RandomCutForest::restore(snapshot.forest, std::move(executor));
  if (!forest) return std::unexpected(forest.error());
  ThresholdedForest out(std::move(*forest), *threshold);
  out.processed_ = snapshot.processed;
  return out;
}

Status ThresholdedForest::process(std::span<const double> point, bool update, AnomalyDescriptor& out) {
  auto score = forest_.score(point);  // validates dimension and finiteness
  if (!score) return std::unexpected(score.error());
  out.index = processed_;
  out.score = *score;
  out.grade = 0;
  out.anomalous = false;
  out.expected.clear();
  if (forest_.is_ready()) {
    auto grading = threshold_.grade(*score);
    if (!grading) return std::unexpected(grading.error());
    out.threshold = grading->threshold;
    out.grade = grading->grade;
    out.anomalous = grading->grade > 0;
    if (auto s = threshold_.update(*score); !s) return s;
  } else {
    out.threshold = threshold_.threshold();
  }
  if (out.anomalous) {
    auto attribution = forest_.attribution(point);
    if (attribution) {
      out.attribution = std::move(*attribution);
      impute_expected(forest_.point_store(), point, out.attribution, out.expected);
    }
  }
  if (update) {
    if (auto s = forest_.update(point); !s) return s;
  }
  ++processed_;
  return {};
}

Result<AnomalyDescriptor> ThresholdedForest::process(std::span<const double> point, bool update) {
  AnomalyDescriptor out;
  if (auto s = process(point, update, out); !s) return std::unexpected(s.error());
  return out;
}

std::size_t ThresholdedForest::memory_bytes() const noexcept {
  return forest_.memory_bytes() + sizeof(ThresholdedForest) - sizeof(RandomCutForest);
}

ThresholdedForestSnapshot ThresholdedForest::snapshot() const {
  return {forest_.snapshot(), threshold_.snapshot(), processed_};
}

}  // namespace anomstream::forest
