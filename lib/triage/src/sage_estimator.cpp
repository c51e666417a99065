#include "anomstream/triage/sage_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace anomstream::triage {

namespace {

Status check_rows(std::span<const double> values, std::size_t d, std::string_view field) {
  if (values.empty() || values.size() % d != 0) {
    return fail(ErrorCode::dimension_mismatch, std::string(field),
                "a positive multiple of " + std::to_string(d) + " values (got " +
                    std::to_string(values.size()) + ")");
  }
  return require_finite(values, field);
}

Result<double> checked_call(const SageModel& model, std::span<const double> row) {
  const double value = model(row);
  if (!std::isfinite(value)) return fail(ErrorCode::non_finite, "model output", "finite");
  return value;
}

}  // namespace

SageEstimator::SageEstimator(const SageEstimatorConfig& config)
    : config_(config), means_(config.dimension, 0.0), m2_(config.dimension, 0.0), rng_(config.seed) {}

Result<SageEstimator> SageEstimator::create(const SageEstimatorConfig& config) {
  if (auto ok = require_in_range<std::size_t>(config.dimension, 1, MAX_DIMENSION, "dimension"); !ok) {
    return std::unexpected(ok.error());
  }
  if (!(config.convergence_ratio > 0.0 && config.convergence_ratio <= 1.0)) {
    return fail(ErrorCode::invalid_config, "convergence_ratio",
                "must be in (0, 1] (got " + format_number(config.convergence_ratio) + ")");
  }
  if (auto ok = require_in_range<std::size_t>(config.min_permutations, 2, MAX_PERMUTATIONS,
                                              "min_permutations");
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range<std::size_t>(config.max_permutations, 1, MAX_PERMUTATIONS,
                                              "max_permutations");
      !ok) {
    return std::unexpected(ok.error());
  }
  return SageEstimator(config);
}

SageReport SageEstimator::report() const {
  SageReport report{means_, std::vector<double>(config_.dimension, 0.0), permutations_, false};
  if (permutations_ >= 2) {
    const auto n = static_cast<double>(permutations_);
    for (std::size_t j = 0; j < config_.dimension; ++j) {
      report.std_errors[j] = std::sqrt(m2_[j] / (n - 1.0) / n);
    }
  }
  if (permutations_ >= config_.min_permutations) {
    // The paper's rule: the largest standard error is a small part of the estimates' range.
    const auto [lo, hi] = std::minmax_element(means_.begin(), means_.end());
    const double worst = *std::max_element(report.std_errors.begin(), report.std_errors.end());
    report.converged = worst <= config_.convergence_ratio * (*hi - *lo) || worst == 0.0;
  }
  return report;
}

Result<SageReport> SageEstimator::run(const SageModel& model, std::span<const double> data,
                                      std::span<const double> targets,
                                      std::span<const double> background) {
  const std::size_t d = config_.dimension;
  if (auto ok = check_rows(data, d, "data"); !ok) return std::unexpected(ok.error());
  if (auto ok = check_rows(background, d, "background"); !ok) return std::unexpected(ok.error());
  const std::size_t rows = data.size() / d;
  const std::size_t m = background.size() / d;
  if (!targets.empty()) {
    if (auto ok = require_dimension(targets.size(), rows, "targets"); !ok) return std::unexpected(ok.error());
    if (auto ok = require_finite(targets, "targets"); !ok) return std::unexpected(ok.error());
  }

  double empty_prediction = 0.0;  // f_empty: the mean score over the background
  for (std::size_t b = 0; b < m; ++b) {
    auto value = checked_call(model, background.subspan(b * d, d));
    if (!value) return std::unexpected(value.error());
    empty_prediction += *value / static_cast<double>(m);
  }
  std::vector<double> composite(background.begin(), background.end());  // m rows of (x_S, b_rest)
  std::vector<std::size_t> order(d);
  std::vector<double> credits(d);

  while (permutations_ < config_.max_permutations && !report().converged) {
    const std::size_t row = rng_.below(rows);
    const std::span<const double> x = data.subspan(row * d, d);
    double target = 0.0;
    if (targets.empty()) {
      auto value = checked_call(model, x);
      if (!value) return std::unexpected(value.error());
      target = *value;
    } else {
      target = targets[row];
    }
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t i = d; i > 1; --i) std::swap(order[i - 1], order[rng_.below(i)]);  // Fisher-Yates
    std::copy(background.begin(), background.end(), composite.begin());
    double previous_loss = (empty_prediction - target) * (empty_prediction - target);
    for (const std::size_t feature : order) {
      double prediction = 0.0;
      for (std::size_t b = 0; b < m; ++b) {
        composite[b * d + feature] = x[feature];
        auto value = checked_call(model, std::span<const double>(composite).subspan(b * d, d));
        if (!value) return std::unexpected(value.error());
        prediction += *value / static_cast<double>(m);
      }
      const double loss = (prediction - target) * (prediction - target);
      credits[feature] = previous_loss - loss;
      previous_loss = loss;
    }
    ++permutations_;
    const auto n = static_cast<double>(permutations_);
    for (std::size_t j = 0; j < d; ++j) {
      const double delta = credits[j] - means_[j];
      means_[j] += delta / n;
      m2_[j] += delta * (credits[j] - means_[j]);
    }
  }
  return report();
}

SageEstimatorSnapshot SageEstimator::snapshot() const {
  return {config_, permutations_, means_, m2_, rng_.state()};
}

Result<SageEstimator> SageEstimator::restore(const SageEstimatorSnapshot& snapshot) {
  auto estimator = create(snapshot.config);
  if (!estimator) return estimator;
  const std::size_t d = snapshot.config.dimension;
  if (snapshot.means.size() != d || snapshot.m2.size() != d) {
    return fail(ErrorCode::corrupt_snapshot, "means, m2", "dimension values each");
  }
  for (std::size_t j = 0; j < d; ++j) {
    if (!std::isfinite(snapshot.means[j]) || !std::isfinite(snapshot.m2[j]) || snapshot.m2[j] < 0.0) {
      return fail(ErrorCode::corrupt_snapshot, "means, m2", "finite, m2 >= 0");
    }
  }
  if (snapshot.permutations == 0 &&
      std::any_of(snapshot.means.begin(), snapshot.means.end(), [](double v) { return v != 0.0; })) {
    return fail(ErrorCode::corrupt_snapshot, "means", "0 before any permutation");
  }
  if (snapshot.rng == Xoshiro256::State{}) return fail(ErrorCode::corrupt_snapshot, "rng", "not all zero");
  estimator->permutations_ = snapshot.permutations;
  estimator->means_ = snapshot.means;
  estimator->m2_ = snapshot.m2;
  estimator->rng_.set_state(snapshot.rng);
  return estimator;
}

}  // namespace anomstream::triage
