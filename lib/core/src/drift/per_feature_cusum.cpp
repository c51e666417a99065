#include "anomstream/drift/per_feature_cusum.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace anomstream::drift {
namespace {

constexpr std::size_t MAX_DIMENSION = 65536;
constexpr double MAX_SLACK = 100.0;
constexpr double MAX_THRESHOLD = 1e6;
constexpr std::size_t MAX_WARMUP = 1'000'000'000;
constexpr double MAX_MIN_SIGMA = 1e300;

// "must be in (0, hi] (got v)" unless 0 < value <= hi (NaN fails).
Status require_positive_at_most(double value, double hi, std::string_view field) {
  if (value > 0.0 && value <= hi) {
    return {};
  }
  return fail(ErrorCode::invalid_config, std::string(field),
              "must be in (0, " + format_number(hi) + "] (got " + format_number(value) + ")");
}

Status validate(const PerFeatureCusumConfig& config) {
  if (auto s = require_in_range<std::size_t>(config.dimension, 1, MAX_DIMENSION, "dimension");
      !s) {
    return s;
  }
  if (auto s = require_in_range(config.slack, 0.0, MAX_SLACK, "slack"); !s) {
    return s;
  }
  if (auto s = require_positive_at_most(config.threshold, MAX_THRESHOLD, "threshold"); !s) {
    return s;
  }
  if (auto s = require_in_range<std::size_t>(config.warmup, 2, MAX_WARMUP, "warmup"); !s) {
    return s;
  }
  if (auto s = require_positive_at_most(config.min_sigma, MAX_MIN_SIGMA, "min_sigma"); !s) {
    return s;
  }
  const bool has_mean = !config.baseline_mean.empty();
  const bool has_sigma = !config.baseline_sigma.empty();
  if (has_mean != has_sigma) {
    return fail(ErrorCode::invalid_config, has_mean ? "baseline_sigma" : "baseline_mean",
                "must be given together with " +
                    std::string(has_mean ? "baseline_mean" : "baseline_sigma"));
  }
  if (!has_mean) {
    return {};
  }
  if (config.baseline_mean.size() != config.dimension) {
    return fail(ErrorCode::invalid_config, "baseline_mean",
                "length must be " + std::to_string(config.dimension) + " (got " +
                    std::to_string(config.baseline_mean.size()) + ")");
  }
  if (config.baseline_sigma.size() != config.dimension) {
    return fail(ErrorCode::invalid_config, "baseline_sigma",
                "length must be " + std::to_string(config.dimension) + " (got " +
                    std::to_string(config.baseline_sigma.size()) + ")");
  }
  for (std::size_t j = 0; j < config.dimension; ++j) {
    const std::string index = "[" + std::to_string(j) + "]";
    if (!std::isfinite(config.baseline_mean[j])) {
      return fail(ErrorCode::invalid_config, "baseline_mean" + index, "must be finite");
    }
    const double sigma = config.baseline_sigma[j];
    if (!(sigma > 0.0) || !std::isfinite(sigma)) {
      return fail(ErrorCode::invalid_config, "baseline_sigma" + index,
                  "must be finite and > 0 (got " + format_number(sigma) + ")");
    }
  }
  return {};
}

// max(0, x), the same value as std::max(0.0, x) for every input, without a branch: GCC
// compiles std::max into a compare-and-jump in the update loop, which mispredicts about
// half the time on in-control data.
inline double positive_part(double x) noexcept {
#if defined(__SSE2__)
  return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(x), _mm_setzero_pd()));
#else
  return std::max(0.0, x);
#endif
}

// The per-feature arrays the update reads and writes.
struct ChartArrays {
  const double* mean;
  const double* inverse_sigma;
  double* upper;
  double* lower;
  std::uint64_t* upper_run;
  std::uint64_t* lower_run;
};

// One CUSUM step for features [0, d): S+ = max(0, S+ + z - k), S- = max(0, S- - z - k),
// and each run length counts up while its side is positive and restarts at 0. Returns
// whether any side exceeds h. The SSE2 lanes do the same IEEE operations in the same
// order as the scalar tail, so the results do not depend on which path ran.
bool update_statistics(const double* x, const ChartArrays& a, std::size_t d, double k,
                       double h) noexcept {
  std::size_t j = 0;
  bool alarm = false;
#if defined(__SSE2__)
  const __m128d slack = _mm_set1_pd(k);
  const __m128d threshold = _mm_set1_pd(h);
  const __m128d zero = _mm_setzero_pd();
  const __m128i one = _mm_set1_epi64x(1);
  __m128d over = _mm_setzero_pd();
  for (; j + 2 <= d; j += 2) {
    const __m128d z = _mm_mul_pd(_mm_sub_pd(_mm_loadu_pd(x + j), _mm_loadu_pd(a.mean + j)),
                                 _mm_loadu_pd(a.inverse_sigma + j));
    const __m128d up =
        _mm_max_pd(_mm_sub_pd(_mm_add_pd(_mm_loadu_pd(a.upper + j), z), slack), zero);
    const __m128d down =
        _mm_max_pd(_mm_sub_pd(_mm_sub_pd(_mm_loadu_pd(a.lower + j), z), slack), zero);
    _mm_storeu_pd(a.upper + j, up);
    _mm_storeu_pd(a.lower + j, down);
    auto* up_run = reinterpret_cast<__m128i*>(a.upper_run + j);
    auto* down_run = reinterpret_cast<__m128i*>(a.lower_run + j);
    _mm_storeu_si128(up_run, _mm_and_si128(_mm_add_epi64(_mm_loadu_si128(up_run), one),
                                           _mm_castpd_si128(_mm_cmpgt_pd(up, zero))));
    _mm_storeu_si128(down_run, _mm_and_si128(_mm_add_epi64(_mm_loadu_si128(down_run), one),
                                             _mm_castpd_si128(_mm_cmpgt_pd(down, zero))));
    over = _mm_or_pd(over, _mm_or_pd(_mm_cmpgt_pd(up, threshold), _mm_cmpgt_pd(down, threshold)));
  }
  alarm = _mm_movemask_pd(over) != 0;
#endif
  for (; j < d; ++j) {
    const double z = (x[j] - a.mean[j]) * a.inverse_sigma[j];
    const double up = positive_part(a.upper[j] + z - k);
    const double down = positive_part(a.lower[j] - z - k);
    a.upper[j] = up;
    a.lower[j] = down;
    a.upper_run[j] = (a.upper_run[j] + 1) * static_cast<std::uint64_t>(up > 0.0);
    a.lower_run[j] = (a.lower_run[j] + 1) * static_cast<std::uint64_t>(down > 0.0);
    alarm |= (up > h) | (down > h);
  }
  return alarm;
}

std::unexpected<Error> corrupt(std::string field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
}

bool all_finite(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

}  // namespace

PerFeatureCusumEngine::PerFeatureCusumEngine(PerFeatureCusumConfig config)
    : config_(std::move(config)),
      mean_(config_.dimension, 0.0),
      m2_(config_.dimension, 0.0),
      sigma_(config_.dimension, 0.0),
      inverse_sigma_(config_.dimension, 0.0),
      upper_(config_.dimension, 0.0),
      lower_(config_.dimension, 0.0),
      upper_run_(config_.dimension, 0),
      lower_run_(config_.dimension, 0),
      alerts_(config_.dimension) {}

Result<PerFeatureCusumEngine> PerFeatureCusumEngine::create(const PerFeatureCusumConfig& config) {
  if (auto s = validate(config); !s) {
    return std::unexpected(std::move(s).error());
  }
  PerFeatureCusumEngine engine(config);
  if (!config.baseline_mean.empty()) {
    engine.mean_ = config.baseline_mean;
    engine.sigma_ = config.baseline_sigma;
    engine.baseline_ready_ = true;
    engine.derive_inverse_sigma();
  }
  return engine;
}

Result<PerFeatureCusumEngine> PerFeatureCusumEngine::restore(
    const PerFeatureCusumSnapshot& snapshot) {
  if (auto s = validate(snapshot.config); !s) {
    return corrupt("config." + s.error().field, s.error().bound);
  }
  const std::size_t d = snapshot.config.dimension;
  const auto wrong_length = [d](std::size_t got) {
    return "length must be " + std::to_string(d) + " (got " + std::to_string(got) + ")";
  };
  const std::pair<const std::vector<double>*, const char*> reals[] = {
      {&snapshot.mean, "mean"},   {&snapshot.m2, "m2"},       {&snapshot.sigma, "sigma"},
      {&snapshot.upper, "upper"}, {&snapshot.lower, "lower"},
  };
  for (const auto& [values, name] : reals) {
    if (values->size() != d) {
      return corrupt(name, wrong_length(values->size()));
    }
    if (!all_finite(*values)) {
      return corrupt(name, "must be finite");
    }
  }
  if (snapshot.upper_run.size() != d) {
    return corrupt("upper_run", wrong_length(snapshot.upper_run.size()));
  }
  if (snapshot.lower_run.size() != d) {
    return corrupt("lower_run", wrong_length(snapshot.lower_run.size()));
  }
  if (snapshot.observations < snapshot.warmup_seen) {
    return corrupt("observations", "must be >= warmup_seen");
  }
  const double h = snapshot.config.threshold;
  for (std::size_t j = 0; j < d; ++j) {
    const std::string index = "[" + std::to_string(j) + "]";
    if (snapshot.m2[j] < 0.0) {
      return corrupt("m2" + index, "must be >= 0");
    }
    if (snapshot.baseline_ready ? !(snapshot.sigma[j] > 0.0) : snapshot.sigma[j] != 0.0) {
      return corrupt("sigma" + index, snapshot.baseline_ready ? "must be > 0 once ready"
                                                              : "must be 0 while warming up");
    }
    for (const auto& [stat, run, name] :
         {std::tuple{snapshot.upper[j], snapshot.upper_run[j], "upper"},
          std::tuple{snapshot.lower[j], snapshot.lower_run[j], "lower"}}) {
      if (stat < 0.0 || stat > h) {
        return corrupt(name + index, "must be in [0, threshold]");
      }
      // The run counter restarts exactly when the statistic returns to zero.
      if ((stat > 0.0) != (run > 0) || run > snapshot.observations) {
        return corrupt(std::string(name) + "_run" + index,
                       "must be 0 exactly when the statistic is 0");
      }
      if (!snapshot.baseline_ready && stat != 0.0) {
        return corrupt(name + index, "must be 0 while warming up");
      }
    }
  }
  if (!snapshot.baseline_ready && snapshot.warmup_seen >= snapshot.config.warmup) {
    return corrupt("warmup_seen", "must be < config.warmup while warming up");
  }
  PerFeatureCusumEngine engine(snapshot.config);
  engine.baseline_ready_ = snapshot.baseline_ready;
  engine.warmup_seen_ = snapshot.warmup_seen;
  engine.observations_ = snapshot.observations;
  engine.mean_ = snapshot.mean;
  engine.m2_ = snapshot.m2;
  engine.sigma_ = snapshot.sigma;
  engine.upper_ = snapshot.upper;
  engine.lower_ = snapshot.lower;
  engine.upper_run_ = snapshot.upper_run;
  engine.lower_run_ = snapshot.lower_run;
  engine.derive_inverse_sigma();
  return engine;
}

PerFeatureCusumSnapshot PerFeatureCusumEngine::snapshot() const {
  return PerFeatureCusumSnapshot{
      .config = config_,
      .baseline_ready = baseline_ready_,
      .warmup_seen = warmup_seen_,
      .observations = observations_,
      .mean = mean_,
      .m2 = m2_,
      .sigma = sigma_,
      .upper = upper_,
      .lower = lower_,
      .upper_run = upper_run_,
      .lower_run = lower_run_,
  };
}

void PerFeatureCusumEngine::derive_inverse_sigma() noexcept {
  for (std::size_t j = 0; j < sigma_.size(); ++j) {
    inverse_sigma_[j] = baseline_ready_ ? 1.0 / sigma_[j] : 0.0;
  }
}

void PerFeatureCusumEngine::finish_warmup() noexcept {
  const auto n = static_cast<double>(warmup_seen_);
  for (std::size_t j = 0; j < sigma_.size(); ++j) {
    sigma_[j] = std::max(std::sqrt(m2_[j] / (n - 1.0)), config_.min_sigma);
  }
  baseline_ready_ = true;
  derive_inverse_sigma();
}

void PerFeatureCusumEngine::restart_baseline() noexcept {
  baseline_ready_ = false;
  warmup_seen_ = 0;
  std::fill(mean_.begin(), mean_.end(), 0.0);
  std::fill(m2_.begin(), m2_.end(), 0.0);
  std::fill(sigma_.begin(), sigma_.end(), 0.0);
  std::fill(inverse_sigma_.begin(), inverse_sigma_.end(), 0.0);
  std::fill(upper_.begin(), upper_.end(), 0.0);
  std::fill(lower_.begin(), lower_.end(), 0.0);
  std::fill(upper_run_.begin(), upper_run_.end(), 0);
  std::fill(lower_run_.begin(), lower_run_.end(), 0);
}

Result<std::span<const CusumAlert>> PerFeatureCusumEngine::observe(
    std::span<const double> point) noexcept {
  const std::size_t d = config_.dimension;
  if (point.size() != d) [[unlikely]] {
    return std::unexpected(require_dimension(point.size(), d, "point").error());
  }
  bool finite = true;
  for (const double x : point) {
    finite &= std::isfinite(x);
  }
  if (!finite) [[unlikely]] {
    return std::unexpected(require_finite(point, "point").error());
  }
  ++observations_;

  if (!baseline_ready_) {
    // Welford's update; the baseline is frozen once `warmup` observations are in.
    ++warmup_seen_;
    const auto n = static_cast<double>(warmup_seen_);
    for (std::size_t j = 0; j < d; ++j) {
      const double delta = point[j] - mean_[j];
      mean_[j] += delta / n;
      m2_[j] += delta * (point[j] - mean_[j]);
    }
    if (warmup_seen_ == config_.warmup) {
      finish_warmup();
    }
    return std::span<const CusumAlert>();
  }

  const double k = config_.slack;
  const double h = config_.threshold;
  const bool any_alarm = update_statistics(
      point.data(),
      ChartArrays{mean_.data(), inverse_sigma_.data(), upper_.data(), lower_.data(),
                  upper_run_.data(), lower_run_.data()},
      d, k, h);
  if (!any_alarm) [[likely]] {
    return std::span<const CusumAlert>();
  }
  std::size_t alert_count = 0;
  for (std::size_t j = 0; j < d; ++j) {
    const double up = upper_[j];
    const double down = lower_[j];
    if (up <= h && down <= h) {
      continue;
    }
    // Both sides cannot exceed h together: while both are positive their sum falls by
    // 2k per step, so it never exceeds the one side (<= h) it started from. Report the
    // larger if they ever do.
    const bool is_up = up >= down;
    const double s = is_up ? up : down;
    const std::uint64_t run = is_up ? upper_run_[j] : lower_run_[j];
    alerts_[alert_count++] = CusumAlert{
        .feature_index = static_cast<std::uint32_t>(j),
        .direction = is_up ? ShiftDirection::up : ShiftDirection::down,
        .magnitude = k + s / static_cast<double>(run),
        .statistic = s,
        .run_length = run,
    };
    upper_[j] = 0.0;
    lower_[j] = 0.0;
    upper_run_[j] = 0;
    lower_run_[j] = 0;
  }
  return std::span<const CusumAlert>(alerts_.data(), alert_count);
}

}  // namespace anomstream::drift
