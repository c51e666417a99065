#include "anomstream/drift/pot_detector.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <string>
#include <string_view>
#include <tuple>

namespace anomstream::drift {
namespace {

constexpr std::uint64_t MIN_MODEL_POINTS = 10;
constexpr std::uint64_t MAX_INIT = 10'000'000;
constexpr std::uint64_t MAX_DEPTH = 100'000;
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

std::string join(std::string_view a, const std::string& b, std::string_view c = {}) {
  std::string out(a);
  out += b;
  out += c;
  return out;
}

std::unexpected<Error> corrupt(std::string field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
}

// Smallest batch that leaves at least two expected excesses (and 10 modelled points).
std::uint64_t min_model_points(double level) {
  const double need = std::ceil(2.0 / (1.0 - level));
  return std::max<std::uint64_t>(MIN_MODEL_POINTS, static_cast<std::uint64_t>(need));
}

Status validate(const PotConfig& c) {
  if (auto s = require_in_range(c.level, 0.5, 0.9999, "level"); !s) return s;
  if (!(c.q > 0.0 && c.q < 1.0 - c.level)) {
    return fail(ErrorCode::invalid_config, "q",
                join("must be in (0, 1 - level) = (0, ", format_number(1.0 - c.level),
                     join(") (got ", format_number(c.q), ")")));
  }
  if (auto s = require_in_range<std::uint64_t>(c.depth, 0, MAX_DEPTH, "depth"); !s) return s;
  if (auto s = require_in_range<std::uint64_t>(c.n_init, c.depth + min_model_points(c.level),
                                               MAX_INIT, "n_init");
      !s) {
    return s;
  }
  if (auto s = require_in_range<std::uint64_t>(c.max_excess, 10, 1'000'000, "max_excess"); !s) {
    return s;
  }
  if (static_cast<unsigned>(c.tail) > static_cast<unsigned>(PotTail::two_sided)) {
    return fail(ErrorCode::invalid_config, "tail", "must be upper, lower or two_sided");
  }
  if (static_cast<unsigned>(c.reference) > static_cast<unsigned>(PotReference::libspot1)) {
    return fail(ErrorCode::invalid_config, "reference", "must be libspot, spot_paper or libspot1");
  }
  return {};
}

// The P2 quantile estimator (Jain & Chlamtac 1985) exactly as libspot 2 runs it on
// the initial batch: a value below the lowest or above the highest marker only
// replaces that marker (no position update), and fewer than 5 values give 0.
double p2_quantile(double p, std::span<const double> x) noexcept {
  if (x.size() < 5) return 0.0;
  std::array<double, 5> q{};
  std::array<double, 5> n{0.0, 1.0, 2.0, 3.0, 4.0};
  std::array<double, 5> np{0.0, 2.0 * p, 4.0 * p, 2.0 + 2.0 * p, 4.0};
  const std::array<double, 5> dn{0.0, p / 2.0, p, (p + 1.0) / 2.0, 1.0};
  std::copy_n(x.begin(), 5, q.begin());
  std::sort(q.begin(), q.end());
  for (std::size_t j = 5; j < x.size(); ++j) {
    const double xj = x[j];
    if (xj < q[0]) {
      q[0] = xj;
      continue;
    }
    if (xj > q[4]) {
      q[4] = xj;
      continue;
    }
    int k = 0;
    while (xj > q[static_cast<std::size_t>(k)]) ++k;
    for (int i = k; i < 5; ++i) n[static_cast<std::size_t>(i)] += 1.0;  // markers above xj
    for (std::size_t i = 0; i < 5; ++i) np[i] += dn[i];
    for (std::size_t i = 1; i < 4; ++i) {
      const double d = np[i] - n[i];
      if ((d >= 1.0 && n[i + 1] - n[i] > 1.0) || (d <= -1.0 && n[i - 1] - n[i] < -1.0)) {
        const double s = d > 0.0 ? 1.0 : -1.0;
        double qp = q[i] + (s / (n[i + 1] - n[i - 1])) *
                               ((n[i] - n[i - 1] + s) * (q[i + 1] - q[i]) / (n[i + 1] - n[i]) +
                                (n[i + 1] - n[i] - s) * (q[i] - q[i - 1]) / (n[i] - n[i - 1]));
        if (!(q[i - 1] < qp && qp < q[i + 1])) {
          const std::size_t j2 = s > 0.0 ? i + 1 : i - 1;
          qp = q[i] + s * (q[j2] - q[i]) / (n[j2] - n[i]);
        }
        q[i] = qp;
        n[i] += s;
      }
    }
  }
  return q[2];
}

}  // namespace

PotDetector::PotDetector(const PotConfig& config) : config_(config) {}

Result<PotDetector> PotDetector::create(const PotConfig& config) {
  if (auto s = validate(config); !s) return std::unexpected(s.error());
  PotDetector d(config);
  d.allocate();
  return d;
}

// Every buffer the detector will use, sized once so that no update allocates.
void PotDetector::allocate() {
  batch_.reserve(config_.n_init);
  if (config_.reference == PotReference::spot_paper) scratch_.reserve(config_.n_init);
  if (uses_upper()) upper_.state.excesses.assign(config_.max_excess, 0.0);
  if (uses_lower()) lower_.state.excesses.assign(config_.max_excess, 0.0);
  window_.reserve(config_.depth);
}

// Clears a side's model, keeping its ring storage.
void PotDetector::reset_side(detail::PotSide& side) noexcept {
  std::vector<double> ring = std::move(side.state.excesses);
  side = detail::PotSide{};
  side.state.excesses = std::move(ring);
}

double PotDetector::window_mean() const noexcept {
  if (config_.reference == PotReference::libspot1) return window_mean_;
  return config_.depth == 0 ? 0.0 : window_sum_ / static_cast<double>(config_.depth);
}

Result<PotVerdict> PotDetector::update(double x) noexcept {
  if (!std::isfinite(x)) return fail(ErrorCode::non_finite, "x", "must be finite");
  if (config_.reference == PotReference::libspot1) return update_libspot1(x);
  if (!calibrated_) {
    batch_.push_back(x);  // capacity reserved at create
    if (batch_.size() == config_.n_init && calibrate()) {
      return verdict(PotStatus::calibrating, window_mean());
    }
    return PotVerdict{};
  }
  const double mean = window_mean();
  const double v = x - mean;
  PotStatus status = PotStatus::normal;
  PotDirection direction = PotDirection::none;
  if (uses_upper() && v > upper_.state.anomaly_threshold) {
    direction = PotDirection::up;
  } else if (uses_lower() && -v > lower_.state.anomaly_threshold) {
    direction = PotDirection::down;
  }
  if (direction != PotDirection::none) {
    ++alarms_;
    if (config_.discard_anomalies) return verdict(PotStatus::alarm, mean, direction);
    status = PotStatus::alarm;
  }
  const bool libspot = config_.reference == PotReference::libspot;
  for (auto [side, sign] : {std::pair{&upper_, 1.0}, std::pair{&lower_, -1.0}}) {
    if ((sign > 0.0 && !uses_upper()) || (sign < 0.0 && !uses_lower())) continue;
    PotSideSnapshot& s = side->state;
    ++s.n;
    const double y = sign * v;
    const double excess = y - s.excess_threshold;
    // libspot counts a value equal to t as an excess; the original code does not.
    if (libspot ? excess >= 0.0 : y > s.excess_threshold) {
      push_excess(*side, excess);
      refit(*side);
      ++refits_;
      if (status == PotStatus::normal) {
        status = PotStatus::excess;
        direction = sign > 0.0 ? PotDirection::up : PotDirection::down;
      }
    }
  }
  if (config_.depth > 0) push_window(x);
  return verdict(status, mean, direction);
}

// libspot 1.3.1's DSpot::step: the window fills first, then each point goes to the SPOT
// step as x - drift and, unless it was a discarded alarm, into the window after it.
Result<PotVerdict> PotDetector::update_libspot1(double x) noexcept {
  const std::uint64_t depth = config_.depth;
  if (window_.size() < depth) {
    push_window_libspot1(x);
    return PotVerdict{};
  }
  const double mean = window_mean_;
  const double v = x - mean;
  PotVerdict out;
  if (!calibrated_) {
    batch_.push_back(v);  // capacity reserved at create
    if (batch_.size() == config_.n_init - depth && calibrate_libspot1()) {
      out = verdict(PotStatus::calibrating, mean);
    }
  } else {
    out = step_libspot1(v);
    out = verdict(out.status, mean, out.direction);
  }
  const bool discarded = out.status == PotStatus::alarm && config_.discard_anomalies;
  if (depth > 0 && !discarded) push_window_libspot1(x);
  return out;
}

// Spot::step after calibration, on v = x - drift. n is shared by the tails (each side
// keeps a copy); a discarded alarm takes back its count.
PotVerdict PotDetector::step_libspot1(double v) noexcept {
  const auto count = [this](int by) {
    if (uses_upper()) upper_.state.n += static_cast<std::uint64_t>(by);
    if (uses_lower()) lower_.state.n += static_cast<std::uint64_t>(by);
  };
  count(1);
  for (auto [side, sign, direction] : {std::tuple{&upper_, 1.0, PotDirection::up},
                                       std::tuple{&lower_, -1.0, PotDirection::down}}) {
    if ((sign > 0.0 && !uses_upper()) || (sign < 0.0 && !uses_lower())) continue;
    PotSideSnapshot& s = side->state;
    const double y = sign * v;
    const bool alarm = y > s.anomaly_threshold;
    if (alarm) {
      ++alarms_;
      if (config_.discard_anomalies) {
        count(-1);
        return PotVerdict{PotStatus::alarm, direction};
      }
    }
    if (y > s.excess_threshold) {
      push_excess(*side, y - s.excess_threshold);
      refit(*side);
      ++refits_;
      return PotVerdict{alarm ? PotStatus::alarm : PotStatus::excess, direction};
    }
  }
  return PotVerdict{PotStatus::normal};
}

// libspot 1.3.1's StreamMean: a running mean, updated by the change and never re-summed.
void PotDetector::push_window_libspot1(double x) noexcept {
  const auto depth = config_.depth;
  if (window_.size() < depth) {
    window_.push_back(x);  // capacity reserved at create
    window_mean_ = window_mean_ + (x - window_mean_) / static_cast<double>(window_.size());
    return;
  }
  const double erased = window_[window_cursor_];
  window_[window_cursor_] = x;
  window_cursor_ = window_cursor_ + 1 == depth ? 0 : window_cursor_ + 1;
  window_mean_ = window_mean_ + (x - erased) / static_cast<double>(depth);
}

PotVerdict PotDetector::verdict(PotStatus status, double offset,
                                PotDirection direction) const noexcept {
  PotVerdict out;
  out.status = status;
  out.direction = direction;
  if (uses_upper()) out.upper_threshold = offset + upper_.state.anomaly_threshold;
  if (uses_lower()) out.lower_threshold = offset - lower_.state.anomaly_threshold;
  return out;
}

void PotDetector::push_window(double x) noexcept {
  const auto depth = config_.depth;
  window_sum_ -= window_[window_cursor_];
  window_[window_cursor_] = x;
  window_sum_ += x;
  if (++window_cursor_ == depth) {
    window_cursor_ = 0;
    // Once per lap the sum is recomputed so rounding cannot accumulate.
    double sum = 0.0;
    for (double w : window_) sum += w;
    window_sum_ = sum;
  }
}

// libspot's peaks container: a ring of the most recent excesses with running sums; the
// extremes are rescanned only when the forgotten value was one of them. libspot 2's
// rescan assigns instead of adding the squares, so its sum of squares restarts from
// the last slot's square; that feeds its moments fit, and its golden outputs depend
// on it, so the libspot reference keeps the quirk (the spot_paper fit uses the true
// sum of squares).
void PotDetector::push_excess(detail::PotSide& side, double x) noexcept {
  PotSideSnapshot& s = side.state;
  const auto capacity = static_cast<std::uint64_t>(s.excesses.size());
  const bool full = side.size == capacity;
  const double erased = full ? s.excesses[s.cursor] : 0.0;
  s.excesses[s.cursor] = x;
  s.cursor = s.cursor + 1 == capacity ? 0 : s.cursor + 1;
  if (!full) ++side.size;
  ++s.nt;
  s.sum += x;
  s.sum_squares += x * x;
  if (side.size == 1 || x < side.min) side.min = x;
  if (side.size == 1 || x > side.max) side.max = x;
  if (!full) return;
  s.sum -= erased;
  s.sum_squares -= erased * erased;
  if (erased <= side.min || erased >= side.max) {
    s.sum = 0.0;
    s.sum_squares = 0.0;
    side.min = s.excesses[0];
    side.max = s.excesses[0];
    const bool libspot = config_.reference == PotReference::libspot;
    for (double e : s.excesses) {
      s.sum += e;
      s.sum_squares = libspot ? e * e : s.sum_squares + e * e;
      side.min = std::min(side.min, e);
      side.max = std::max(side.max, e);
    }
  }
}

void PotDetector::refit(detail::PotSide& side) noexcept {
  PotSideSnapshot& s = side.state;
  const std::span<const double> y(s.excesses.data(), side.size);
  const ExcessSums sums{s.sum, s.sum_squares, side.min, side.max};
  const bool libspot = config_.reference == PotReference::libspot;
  GpdFit fit;
  if (config_.reference == PotReference::libspot1) {
    fit = fit_gpd_libspot1(y);
    // That code only replaces its parameters when the likelihood beats -inf.
    if (!(fit.log_likelihood > -std::numeric_limits<double>::infinity())) fit = {s.gamma, s.sigma, 0.0};
  } else {
    fit = libspot ? fit_gpd_libspot(y, sums) : fit_gpd_spot_paper(y, sums);
  }
  const double n = static_cast<double>(s.n);
  const double nt = static_cast<double>(s.nt);
  const double ratio = libspot ? config_.q / (nt / n) : n * config_.q / nt;
  const double z = s.excess_threshold + gpd_excess_quantile(fit.gamma, fit.sigma, ratio);
  if (!std::isfinite(z)) return;  // keep the previous fit
  s.gamma = fit.gamma;
  s.sigma = fit.sigma;
  s.anomaly_threshold = z;
}

bool PotDetector::calibrate_side(detail::PotSide& side, double sign, std::uint64_t n_model) noexcept {
  const std::span<const double> values(batch_.data(), n_model);
  double t = 0.0;
  if (config_.reference == PotReference::libspot) {
    const double level = sign > 0.0 ? config_.level : 1.0 - config_.level;
    t = sign * p2_quantile(level, values);
  } else {
    scratch_.clear();
    for (double v : values) scratch_.push_back(sign * v);
    const auto k = static_cast<std::size_t>(config_.level * static_cast<double>(n_model));
    std::nth_element(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(k),
                     scratch_.end());
    t = scratch_[k];
  }
  reset_side(side);
  PotSideSnapshot& s = side.state;
  s.excess_threshold = t;
  s.n = n_model;
  for (double v : values) {
    const double excess = sign * v - t;
    if (excess > 0.0) push_excess(side, excess);
  }
  if (s.nt == 0) return false;
  s.anomaly_threshold = NaN;
  refit(side);
  return std::isfinite(s.anomaly_threshold);
}

// libspot 1.3.1's Spot::calibrate: the batch sorted, t at floor(n level) (lower tail:
// floor(n (1 - level))), the excesses pushed in sorted order, Nt = the ring's size.
bool PotDetector::calibrate_libspot1() noexcept {
  std::sort(batch_.begin(), batch_.end());
  const std::uint64_t nb = batch_.size();
  const double n = static_cast<double>(nb);
  bool ok = true;
  if (uses_upper()) {
    const auto rank = static_cast<std::uint64_t>(n * config_.level);
    reset_side(upper_);
    PotSideSnapshot& s = upper_.state;
    s.excess_threshold = batch_[rank];
    s.n = nb;
    for (std::uint64_t i = rank + 1; i < nb; ++i) push_excess(upper_, batch_[i] - s.excess_threshold);
    s.nt = upper_.size;
    refit(upper_);
    ok = s.nt > 0 && std::isfinite(s.anomaly_threshold);
  }
  if (uses_lower()) {
    const auto rank = static_cast<std::uint64_t>(n * (1.0 - config_.level));
    const double t = batch_[rank];
    reset_side(lower_);
    PotSideSnapshot& s = lower_.state;
    s.excess_threshold = -t;
    s.n = nb;
    for (std::uint64_t i = 0; i < rank; ++i) push_excess(lower_, -(batch_[i] - t));
    s.nt = lower_.size;
    refit(lower_);
    ok = ok && s.nt > 0 && std::isfinite(s.anomaly_threshold);
  }
  if (!ok) {
    batch_.clear();
    reset_side(upper_);
    reset_side(lower_);
    return false;
  }
  calibrated_ = true;
  std::vector<double>{}.swap(batch_);
  return true;
}

// Turns the full batch into the first model; false (and a fresh batch) on failure.
bool PotDetector::calibrate() noexcept {
  const std::uint64_t depth = config_.depth;
  const std::uint64_t n_model = config_.n_init - depth;
  if (depth > 0) {
    // The original DSPOT: the window starts as the batch's last `depth` points and the
    // batch is modelled as x[d + j] - mean(x[j .. j + d - 1]), in place.
    window_.assign(batch_.end() - static_cast<std::ptrdiff_t>(depth), batch_.end());
    window_cursor_ = 0;
    window_sum_ = 0.0;
    for (double w : window_) window_sum_ += w;
    double running = 0.0;
    for (std::uint64_t k = 0; k < depth; ++k) running += batch_[k];
    const double d = static_cast<double>(depth);
    for (std::uint64_t j = 0; j < n_model; ++j) {
      const double next = batch_[depth + j];
      const double modelled = next - running / d;
      running = running - batch_[j] + next;
      batch_[j] = modelled;
    }
  }
  bool ok = true;
  if (uses_upper()) ok = calibrate_side(upper_, 1.0, n_model) && ok;
  if (uses_lower()) ok = calibrate_side(lower_, -1.0, n_model) && ok;
  if (!ok) {
    batch_.clear();
    reset_side(upper_);
    reset_side(lower_);
    window_.clear();
    window_sum_ = 0.0;
    return false;
  }
  calibrated_ = true;
  std::vector<double>{}.swap(batch_);
  std::vector<double>{}.swap(scratch_);
  return true;
}

double PotDetector::upper_threshold() const noexcept {
  return calibrated_ && uses_upper() ? window_mean() + upper_.state.anomaly_threshold : NaN;
}

double PotDetector::lower_threshold() const noexcept {
  return calibrated_ && uses_lower() ? window_mean() - lower_.state.anomaly_threshold : NaN;
}

double PotDetector::upper_excess_threshold() const noexcept {
  return calibrated_ && uses_upper() ? window_mean() + upper_.state.excess_threshold : NaN;
}

double PotDetector::lower_excess_threshold() const noexcept {
  return calibrated_ && uses_lower() ? window_mean() - lower_.state.excess_threshold : NaN;
}

GpdFit PotDetector::upper_fit() const noexcept {
  return {upper_.state.gamma, upper_.state.sigma, NaN};
}

GpdFit PotDetector::lower_fit() const noexcept {
  return {lower_.state.gamma, lower_.state.sigma, NaN};
}

std::size_t PotDetector::memory_bytes() const noexcept {
  const std::size_t doubles = batch_.capacity() + scratch_.capacity() + window_.capacity() +
                              upper_.state.excesses.capacity() + lower_.state.excesses.capacity();
  return sizeof(*this) + doubles * sizeof(double);
}

PotSnapshot PotDetector::snapshot() const {
  PotSnapshot out;
  out.config = config_;
  out.calibrated = calibrated_;
  out.batch = batch_;
  const auto side_state = [](const detail::PotSide& side) {
    PotSideSnapshot s = side.state;
    s.excesses.resize(side.size);
    return s;
  };
  if (calibrated_ && uses_upper()) out.upper = side_state(upper_);
  if (calibrated_ && uses_lower()) out.lower = side_state(lower_);
  out.window = window_;
  out.window_cursor = window_cursor_;
  out.window_sum = window_sum_;
  out.window_mean = window_mean_;
  out.alarms = alarms_;
  out.refits = refits_;
  return out;
}

namespace {

Status check_side(const PotSideSnapshot& s, const PotConfig& c, std::string_view name) {
  const auto field = [name](std::string_view f) { return join(name, std::string(f)); };
  for (double v : {s.excess_threshold, s.anomaly_threshold, s.gamma, s.sigma, s.sum,
                   s.sum_squares}) {
    if (!std::isfinite(v)) return corrupt(field(".thresholds"), "thresholds, fit and sums finite");
  }
  if (s.nt == 0 || s.nt > s.n) return corrupt(field(".nt"), "must be in [1, n]");
  if (s.excesses.size() != std::min(s.nt, c.max_excess)) {
    return corrupt(field(".excesses"), "must hold min(nt, max_excess) values");
  }
  const bool full = s.excesses.size() == c.max_excess;
  if (full ? s.cursor >= c.max_excess : s.cursor != s.excesses.size()) {
    return corrupt(field(".cursor"), "must be the next ring slot");
  }
  double sum = 0.0;
  double magnitude = 0.0;
  for (double e : s.excesses) {
    if (!(std::isfinite(e) && e >= 0.0)) return corrupt(field(".excesses"), "finite and >= 0");
    sum += e;
    magnitude += std::abs(e);
  }
  if (std::abs(s.sum - sum) > 1e-6 * (magnitude + 1.0)) {
    return corrupt(field(".sum"), "must equal the sum of the excesses");
  }
  return {};
}

// The DSPOT window: `depth` finite values once calibrated (libspot1: it fills before
// the batch starts), a cursor inside it, and a sum or running mean that agrees with it.
Status check_window(const PotSnapshot& snap) {
  const PotConfig& c = snap.config;
  const bool libspot1 = c.reference == PotReference::libspot1;
  const std::uint64_t size = snap.window.size();
  if (libspot1 && !snap.calibrated) {
    if (size > c.depth || (!snap.batch.empty() && size != c.depth)) {
      return corrupt("window", "fills (depth values) before the batch starts");
    }
  } else if (snap.calibrated ? size != c.depth : size != 0) {
    return corrupt("window", "must hold depth values once calibrated and none before");
  }
  if (size < c.depth ? snap.window_cursor != 0 : c.depth > 0 && snap.window_cursor >= c.depth) {
    return corrupt("window_cursor", "must be the next ring slot");
  }
  if (c.depth == 0 && snap.window_cursor != 0) return corrupt("window_cursor", "must be 0 without depth");
  double magnitude = 1.0;
  double sum = 0.0;
  for (double w : snap.window) {
    if (!std::isfinite(w)) return corrupt("window", "values must be finite");
    magnitude += std::abs(w);
    sum += w;
  }
  if (libspot1) {
    // The running mean drifts from the window's mean by rounding only.
    const double mean = size == 0 ? 0.0 : sum / static_cast<double>(size);
    const double scale = size == 0 ? 1.0 : magnitude / static_cast<double>(size);
    if (!std::isfinite(snap.window_mean) || std::abs(snap.window_mean - mean) > 1e-6 * scale ||
        snap.window_sum != 0.0) {
      return corrupt("window_mean", "must equal the mean of the window (and window_sum 0)");
    }
    return {};
  }
  if (!std::isfinite(snap.window_sum) || std::abs(snap.window_sum - sum) > 1e-9 * magnitude ||
      snap.window_mean != 0.0) {
    return corrupt("window_sum", "must equal the sum of the window (and window_mean 0)");
  }
  return {};
}

}  // namespace

Result<PotDetector> PotDetector::restore(const PotSnapshot& snap) {
  const PotConfig& c = snap.config;
  if (auto v = validate(c); !v) return corrupt(join("config.", v.error().field), v.error().bound);
  const bool upper = c.tail != PotTail::lower;
  const bool lower = c.tail != PotTail::upper;
  const std::uint64_t batch_size = c.reference == PotReference::libspot1 ? c.n_init - c.depth : c.n_init;
  for (double v : snap.batch) {
    if (!std::isfinite(v)) return corrupt("batch", "values must be finite");
  }
  if (!snap.calibrated) {
    if (snap.batch.size() >= batch_size) return corrupt("batch", "must hold fewer points than the batch");
    if (snap.upper != PotSideSnapshot{} || snap.lower != PotSideSnapshot{}) {
      return corrupt("calibrated", "an uncalibrated snapshot carries no model");
    }
  } else {
    if (!snap.batch.empty()) return corrupt("batch", "must be empty once calibrated");
    if (upper) {
      if (auto s = check_side(snap.upper, c, "upper"); !s) return std::unexpected(s.error());
    }
    if (lower) {
      if (auto s = check_side(snap.lower, c, "lower"); !s) return std::unexpected(s.error());
    }
    if ((!upper && snap.upper != PotSideSnapshot{}) || (!lower && snap.lower != PotSideSnapshot{})) {
      return corrupt("tail", "an unused tail carries no model");
    }
  }
  if (auto s = check_window(snap); !s) return std::unexpected(s.error());

  PotDetector d(c);
  d.calibrated_ = snap.calibrated;
  if (!snap.calibrated) {
    d.allocate();
    d.batch_.assign(snap.batch.begin(), snap.batch.end());
    d.window_.assign(snap.window.begin(), snap.window.end());
  } else {
    const auto load = [&c](detail::PotSide& side, const PotSideSnapshot& s) {
      side.state = s;
      side.size = s.excesses.size();
      side.state.excesses.resize(c.max_excess, 0.0);
      side.min = s.excesses.front();
      side.max = s.excesses.front();
      for (double e : s.excesses) {
        side.min = std::min(side.min, e);
        side.max = std::max(side.max, e);
      }
    };
    if (upper) load(d.upper_, snap.upper);
    if (lower) load(d.lower_, snap.lower);
    d.window_ = snap.window;
  }
  d.window_cursor_ = snap.window_cursor;
  d.window_sum_ = snap.window_sum;
  d.window_mean_ = snap.window_mean;
  d.alarms_ = snap.alarms;
  d.refits_ = snap.refits;
  return d;
}

}  // namespace anomstream::drift
