#include "anomstream/triage/platt_calibrator.hpp"

#include <cmath>
#include <string>

namespace anomstream::triage {

namespace {

constexpr double ARMIJO = 1e-4;
constexpr double MIN_STEP = 1e-10;
constexpr double HESSIAN_RIDGE = 1e-12;  // LIBSVM's sigma: keeps the Hessian invertible

Status check_score(double score, std::string_view field) {
  if (!std::isfinite(score)) return fail(ErrorCode::non_finite, std::string(field), "finite");
  if (std::abs(score) > PlattCalibrator::MAX_ABS_SCORE) {
    return fail(ErrorCode::invalid_input, std::string(field), "|score| <= 1e100");
  }
  return {};
}

// -[t log p + (1 - t) log(1 - p)] with p = 1 / (1 + exp(f)), in the form that never
// takes exp of a positive number (Lin, Lin & Weng 2007).
double point_loss(double f, double target) noexcept {
  return f >= 0 ? target * f + std::log1p(std::exp(-f))
                : (target - 1.0) * f + std::log1p(std::exp(f));
}

struct Targets {
  double high;
  double low;
};

Targets smoothed_targets(std::uint64_t positives, std::uint64_t negatives) noexcept {
  const auto np = static_cast<double>(positives);
  const auto nn = static_cast<double>(negatives);
  return {(np + 1.0) / (np + 2.0), 1.0 / (nn + 2.0)};
}

double total_loss(std::span<const double> scores, std::span<const std::uint8_t> labels, Targets t,
                  double a, double b) noexcept {
  double sum = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    sum += point_loss(scores[i] * a + b, labels[i] ? t.high : t.low);
  }
  return sum;
}

}  // namespace

double platt_sigmoid(double f) noexcept {
  if (f >= 0) {
    const double e = std::exp(-f);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(f));
}

Result<PlattCalibrator> PlattCalibrator::create(const PlattCalibratorConfig& config) {
  if (!(config.learning_rate > 0.0 && config.learning_rate <= 10.0)) {
    return fail(ErrorCode::invalid_config, "learning_rate",
                "must be in (0, 10] (got " + format_number(config.learning_rate) + ")");
  }
  if (auto ok = require_in_range(config.decay_updates, 1.0, 1e12, "decay_updates"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range<std::size_t>(config.max_iterations, 1, 10000, "max_iterations");
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range(config.gradient_tolerance, 1e-15, 1.0, "gradient_tolerance");
      !ok) {
    return std::unexpected(ok.error());
  }
  return PlattCalibrator(config);
}

Result<PlattCalibrator> PlattCalibrator::restore(const PlattCalibratorSnapshot& snapshot) {
  auto calibrator = create(snapshot.config);
  if (!calibrator) return calibrator;
  const auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  for (double v : {snapshot.a, snapshot.b, snapshot.average_a, snapshot.average_b,
                   snapshot.score_mean, snapshot.score_m2}) {
    if (!std::isfinite(v)) return corrupt("a, b, average_a, average_b, score_mean, score_m2", "finite");
  }
  if (snapshot.score_m2 < 0.0) return corrupt("score_m2", ">= 0");
  if (snapshot.score_count == 0 && (snapshot.score_mean != 0.0 || snapshot.score_m2 != 0.0)) {
    return corrupt("score_mean, score_m2", "0 when score_count == 0");
  }
  if (snapshot.averaged > snapshot.steps) return corrupt("averaged", "<= steps");
  if (snapshot.averaged == 0 && (snapshot.average_a != 0.0 || snapshot.average_b != 0.0)) {
    return corrupt("average_a, average_b", "0 when averaged == 0");
  }
  calibrator->a_ = snapshot.a;
  calibrator->b_ = snapshot.b;
  calibrator->average_a_ = snapshot.average_a;
  calibrator->average_b_ = snapshot.average_b;
  calibrator->positives_ = snapshot.positives;
  calibrator->negatives_ = snapshot.negatives;
  calibrator->steps_ = snapshot.steps;
  calibrator->averaged_ = snapshot.averaged;
  calibrator->score_count_ = snapshot.score_count;
  calibrator->score_mean_ = snapshot.score_mean;
  calibrator->score_m2_ = snapshot.score_m2;
  calibrator->set_score_sd();
  return calibrator;
}

PlattCalibratorSnapshot PlattCalibrator::snapshot() const noexcept {
  return {config_,    a_,     b_,           average_a_,   average_b_, positives_,
          negatives_, steps_, averaged_, score_count_, score_mean_, score_m2_};
}

double PlattCalibrator::score_scale() const noexcept { return score_sd_; }

double PlattCalibrator::standardise(double score) const noexcept {
  return (score - score_mean_) / score_sd_;
}

void PlattCalibrator::count_score(double score) noexcept {
  ++score_count_;
  const double delta = score - score_mean_;
  score_mean_ += delta / static_cast<double>(score_count_);
  score_m2_ += delta * (score - score_mean_);
  set_score_sd();
}

void PlattCalibrator::set_score_sd() noexcept {
  score_sd_ = score_m2_ > 0.0 ? std::sqrt(score_m2_ / static_cast<double>(score_count_)) : 1.0;
}

double PlattCalibrator::a() const noexcept { return average_a_ / score_scale(); }

double PlattCalibrator::b() const noexcept {
  return average_b_ - average_a_ * score_mean_ / score_scale();
}

Result<PlattFitReport> PlattCalibrator::fit(std::span<const double> scores,
                                            std::span<const std::uint8_t> labels) noexcept {
  if (auto ok = require_dimension(labels.size(), scores.size(), "labels"); !ok) {
    return std::unexpected(ok.error());
  }
  if (scores.empty()) return fail(ErrorCode::invalid_input, "scores", "at least one");
  std::uint64_t positives = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (auto ok = check_score(scores[i], "scores"); !ok) return std::unexpected(ok.error());
    if (labels[i] > 1) return fail(ErrorCode::invalid_input, "labels", "0 or 1");
    positives += labels[i];
  }
  const std::uint64_t negatives = scores.size() - positives;
  const Targets t = smoothed_targets(positives, negatives);

  double a = 0.0;
  double b = std::log((static_cast<double>(negatives) + 1.0) /
                      (static_cast<double>(positives) + 1.0));
  double loss = total_loss(scores, labels, t, a, b);
  PlattFitReport report;
  for (; report.iterations < config_.max_iterations; ++report.iterations) {
    double h11 = HESSIAN_RIDGE, h22 = HESSIAN_RIDGE, h21 = 0.0, g1 = 0.0, g2 = 0.0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      const double f = scores[i] * a + b;
      const double p = platt_sigmoid(f);   // 1 / (1 + e^f)
      const double q = platt_sigmoid(-f);  // 1 - p, without cancellation
      const double d2 = p * q;
      const double d1 = (labels[i] ? t.high : t.low) - p;
      h11 += scores[i] * scores[i] * d2;
      h22 += d2;
      h21 += scores[i] * d2;
      g1 += scores[i] * d1;
      g2 += d1;
    }
    if (std::abs(g1) < config_.gradient_tolerance && std::abs(g2) < config_.gradient_tolerance) {
      report.converged = true;
      break;
    }
    const double det = h11 * h22 - h21 * h21;
    const double da = -(h22 * g1 - h21 * g2) / det;
    const double db = -(-h21 * g1 + h11 * g2) / det;
    const double slope = g1 * da + g2 * db;
    double step = 1.0;
    while (step >= MIN_STEP) {
      const double na = a + step * da;
      const double nb = b + step * db;
      const double nloss = total_loss(scores, labels, t, na, nb);
      if (nloss < loss + ARMIJO * step * slope) {
        a = na;
        b = nb;
        loss = nloss;
        break;
      }
      step /= 2.0;
    }
    if (step < MIN_STEP) break;  // no descent along the Newton direction
  }
  report.loss = loss;
  score_count_ = 0;
  score_mean_ = score_m2_ = 0.0;
  for (double score : scores) count_score(score);  // ends with score_sd_ set
  // A s + B = (A sd) z + (B + A mean) with z the standardised score.
  a_ = average_a_ = a * score_scale();
  b_ = average_b_ = b + a * score_mean_;
  positives_ = positives;
  negatives_ = negatives;
  steps_ = scores.size();
  averaged_ = 1;
  return report;
}

Status PlattCalibrator::update(double score, bool label) noexcept {
  if (auto ok = check_score(score, "score"); !ok) return ok;
  (label ? positives_ : negatives_) += 1;
  const Targets t = smoothed_targets(positives_, negatives_);
  count_score(score);
  const double z = standardise(score);
  const double p = platt_sigmoid(z * a_ + b_);
  // d loss / d f = t - p; d f / d a = z, d f / d b = 1.
  const double g = (label ? t.high : t.low) - p;
  const double eta = config_.learning_rate *
                     std::pow(1.0 + static_cast<double>(steps_) / config_.decay_updates, -0.75);
  a_ -= eta * g * z;
  b_ -= eta * g;
  ++steps_;
  ++averaged_;
  const double w = 4.0 / (static_cast<double>(averaged_) + 3.0);  // 1 for the first iterate
  average_a_ += w * (a_ - average_a_);
  average_b_ += w * (b_ - average_b_);
  return {};
}

Result<double> PlattCalibrator::probability(double score) const noexcept {
  if (!std::isfinite(score)) return fail(ErrorCode::non_finite, "score", "finite");
  return platt_sigmoid(standardise(score) * average_a_ + average_b_);
}

}  // namespace anomstream::triage
