#include "anomstream/stats/score_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace anomstream::stats {
namespace {

Status validate(double lo, double hi, std::size_t bins) {
  if (!std::isfinite(lo)) return fail(ErrorCode::invalid_config, "lo", "must be finite");
  if (!std::isfinite(hi)) return fail(ErrorCode::invalid_config, "hi", "must be finite");
  if (!(hi > lo)) {
    return fail(ErrorCode::invalid_config, "hi",
                "must be > lo (" + format_number(lo) + ") (got " + format_number(hi) + ")");
  }
  if (!std::isfinite(hi - lo)) {
    return fail(ErrorCode::invalid_config, "hi", "hi - lo must be finite");
  }
  if (auto ok = require_in_range<std::size_t>(bins, 1, ScoreHistogram::MAX_BINS, "bins"); !ok) {
    return ok;
  }
  if (!((hi - lo) / static_cast<double>(bins) > 0.0)) {
    return fail(ErrorCode::invalid_config, "bins", "bin width (hi - lo) / bins must be > 0");
  }
  return {};
}

}  // namespace

ScoreHistogram::ScoreHistogram(double lo, double hi, std::size_t bins)
    : lo_(lo), hi_(hi), bins_per_unit_(static_cast<double>(bins) / (hi - lo)), counts_(bins, 0) {}

Result<ScoreHistogram> ScoreHistogram::create(const ScoreHistogramConfig& config) {
  if (auto ok = validate(config.lo, config.hi, config.bins); !ok) {
    return std::unexpected(ok.error());
  }
  return ScoreHistogram(config.lo, config.hi, config.bins);
}

Status ScoreHistogram::add(double score) noexcept {
  if (!std::isfinite(score)) [[unlikely]] {
    return fail(ErrorCode::non_finite, "score", "must be finite");
  }
  ++total_;
  if (score < lo_) {
    ++underflow_;
  } else if (score >= hi_) {
    ++overflow_;
  } else {
    // Rounding can put a score just below hi at index `bins`; it belongs to the last bin.
    const auto bin = static_cast<std::size_t>((score - lo_) * bins_per_unit_);
    ++counts_[std::min(bin, counts_.size() - 1)];
  }
  return {};
}

Status ScoreHistogram::merge(const ScoreHistogram& other) noexcept {
  if (other.lo_ != lo_ || other.hi_ != hi_ || other.counts_.size() != counts_.size()) {
    return fail(ErrorCode::incompatible, "other",
                "must have the same lo, hi and bins (" + format_number(lo_) + ", " +
                    format_number(hi_) + ", " + std::to_string(counts_.size()) + ")");
  }
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  underflow_ += other.underflow_;
  overflow_ += other.overflow_;
  total_ += other.total_;
  return {};
}

double ScoreHistogram::bin_width() const noexcept {
  return (hi_ - lo_) / static_cast<double>(counts_.size());
}

double ScoreHistogram::bin_lower(std::size_t bin) const noexcept {
  if (bin >= counts_.size()) return hi_;
  return lo_ + static_cast<double>(bin) * bin_width();
}

Result<double> ScoreHistogram::quantile(double q) const noexcept {
  if (!(q >= 0.0 && q <= 1.0)) {
    return fail(ErrorCode::invalid_input, "q", "must be in [0, 1]");
  }
  if (total_ == 0) {
    return fail(ErrorCode::not_ready, "total", "must be > 0");
  }
  const double rank = q * static_cast<double>(total_);
  double below = static_cast<double>(underflow_);
  if (underflow_ > 0 && rank <= below) {
    return lo_;
  }
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const double count = static_cast<double>(counts_[i]);
    if (rank <= below + count) {
      const double within = std::clamp((rank - below) / count, 0.0, 1.0);
      return std::min(lo_ + (static_cast<double>(i) + within) * bin_width(), hi_);
    }
    below += count;
  }
  return hi_;
}

void ScoreHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  underflow_ = 0;
  overflow_ = 0;
  total_ = 0;
}

ScoreHistogramSnapshot ScoreHistogram::snapshot() const {
  return ScoreHistogramSnapshot{lo_, hi_, counts_, underflow_, overflow_};
}

Result<ScoreHistogram> ScoreHistogram::restore(const ScoreHistogramSnapshot& snap) {
  if (auto ok = validate(snap.lo, snap.hi, snap.counts.size()); !ok) {
    const std::string field = ok.error().field == "bins" ? "counts" : ok.error().field;
    return fail(ErrorCode::corrupt_snapshot, field, ok.error().bound);
  }
  ScoreHistogram histogram(snap.lo, snap.hi, snap.counts.size());
  histogram.counts_ = snap.counts;
  histogram.underflow_ = snap.underflow;
  histogram.overflow_ = snap.overflow;
  // The total is derived; a sum that wraps around cannot come from real counts.
  std::uint64_t total = snap.underflow;
  for (const std::uint64_t c : snap.counts) {
    if (total + c < total) return fail(ErrorCode::corrupt_snapshot, "counts", "sum must fit in 64 bits");
    total += c;
  }
  if (total + snap.overflow < total) {
    return fail(ErrorCode::corrupt_snapshot, "overflow", "sum must fit in 64 bits");
  }
  histogram.total_ = total + snap.overflow;
  return histogram;
}

}  // namespace anomstream::stats
