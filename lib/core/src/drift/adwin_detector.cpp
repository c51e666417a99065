#include "anomstream/drift/adwin_detector.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

namespace anomstream::drift {
namespace {

double bucket_points(std::uint32_t row) noexcept {
  return std::ldexp(1.0, static_cast<int>(row));
}

Status validate(const AdwinConfig& c) {
  if (auto s = require_in_range(c.delta, 1e-12, 0.5, "delta"); !s) return s;
  if (auto s = require_in_range<std::uint32_t>(c.max_buckets, 2, 64, "max_buckets"); !s) return s;
  if (auto s = require_in_range<std::uint32_t>(c.max_rows, 2, 48, "max_rows"); !s) return s;
  if (auto s = require_in_range<std::uint32_t>(c.clock, 1, 65536, "clock"); !s) return s;
  if (auto s = require_in_range<std::uint32_t>(c.min_window_length, 1, 1'000'000,
                                               "min_window_length");
      !s) {
    return s;
  }
  if (auto s = require_in_range<std::uint32_t>(c.grace_period, 0, 1'000'000'000, "grace_period");
      !s) {
    return s;
  }
  if (c.conventions != AdwinConventions::moa && c.conventions != AdwinConventions::river) {
    return fail(ErrorCode::invalid_config, "conventions", "must be moa or river");
  }
  return {};
}

std::unexpected<Error> corrupt(std::string field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
}

// Text building without `"literal" + std::string&&`, which GCC 12 misreports under
// -Wrestrict at -O3.
std::string join(std::string_view a, const std::string& b, std::string_view c = {}) {
  std::string out(a);
  out += b;
  out += c;
  return out;
}

}  // namespace

AdwinDetector::AdwinDetector(const AdwinConfig& config)
    : config_(config),
      totals_(static_cast<std::size_t>(config.max_rows) * (config.max_buckets + 1), 0.0),
      variances_(totals_.size(), 0.0),
      counts_(config.max_rows, 0) {}

Result<AdwinDetector> AdwinDetector::create(const AdwinConfig& config) {
  if (auto s = validate(config); !s) return std::unexpected(s.error());
  return AdwinDetector(config);
}

double AdwinDetector::mean() const noexcept {
  return width_ > 0 ? total_ / static_cast<double>(width_) : 0.0;
}

double AdwinDetector::variance() const noexcept {
  return width_ > 0 ? std::max(0.0, variance_ / static_cast<double>(width_)) : 0.0;
}

std::uint64_t AdwinDetector::bucket_count() const noexcept {
  std::uint64_t n = 0;
  for (std::uint32_t r = 0; r < rows_used_; ++r) n += counts_[r];
  return n;
}

std::size_t AdwinDetector::memory_bytes() const noexcept {
  return sizeof(*this) + (totals_.capacity() + variances_.capacity()) * sizeof(double) +
         counts_.capacity() * sizeof(std::uint32_t);
}

Result<AdwinVerdict> AdwinDetector::update(double value) noexcept {
  if (!std::isfinite(value)) return fail(ErrorCode::non_finite, "value", "must be finite");
  ++time_;
  insert(value);
  bool change = false;
  if (time_ % config_.clock == 0 && width_ > config_.grace_period) {
    // Each cut drops one bucket; test again from the oldest until no split passes.
    while (cut_once()) change = true;
  }
  if (change) ++detections_;
  return AdwinVerdict{change, width_, mean()};
}

void AdwinDetector::insert(double value) noexcept {
  ++width_;
  if (rows_used_ == 0) rows_used_ = 1;
  const std::size_t at = slot(0, counts_[0]++);
  totals_[at] = value;
  variances_[at] = 0.0;
  if (width_ > 1) {
    const double before = static_cast<double>(width_ - 1);
    const double d = value - total_ / before;
    variance_ += before * d * d / static_cast<double>(width_);
  }
  total_ += value;
  compress();
}

// Merges the two oldest buckets of every row that overflowed (M + 1 buckets) into one
// bucket of the next row; the last allowed row instead forgets its oldest bucket.
void AdwinDetector::compress() noexcept {
  const std::uint32_t m = config_.max_buckets;
  for (std::uint32_t r = 0; r < rows_used_ && counts_[r] == m + 1; ++r) {
    if (r + 1 == config_.max_rows) {
      drop_oldest();
      return;
    }
    if (r + 1 == rows_used_) ++rows_used_;
    const double n = bucket_points(r);
    const double u1 = totals_[slot(r, 0)] / n;
    const double u2 = totals_[slot(r, 1)] / n;
    const double between = n * n * (u1 - u2) * (u1 - u2) / (n + n);
    const std::size_t at = slot(r + 1, counts_[r + 1]++);
    totals_[at] = totals_[slot(r, 0)] + totals_[slot(r, 1)];
    variances_[at] = variances_[slot(r, 0)] + variances_[slot(r, 1)] + between;
    remove_front(r, 2);
    if (counts_[r + 1] <= m) return;
  }
}

void AdwinDetector::remove_front(std::uint32_t row, std::uint32_t count) noexcept {
  const std::size_t first = slot(row, 0);
  const std::uint32_t keep = counts_[row] - count;
  std::copy_n(totals_.begin() + static_cast<std::ptrdiff_t>(first + count), keep,
              totals_.begin() + static_cast<std::ptrdiff_t>(first));
  std::copy_n(variances_.begin() + static_cast<std::ptrdiff_t>(first + count), keep,
              variances_.begin() + static_cast<std::ptrdiff_t>(first));
  counts_[row] = keep;
}

// Removes the oldest bucket (first bucket of the last row) and returns its size.
std::uint64_t AdwinDetector::drop_oldest() noexcept {
  const std::uint32_t r = rows_used_ - 1;
  const std::uint64_t size = std::uint64_t{1} << r;
  const double n1 = static_cast<double>(size);
  const double bucket_total = totals_[slot(r, 0)];
  const double bucket_variance = variances_[slot(r, 0)];
  width_ -= size;
  total_ -= bucket_total;
  if (width_ == 0) {
    total_ = 0.0;
    variance_ = 0.0;
  } else {
    const double rest = static_cast<double>(width_);
    const double d = bucket_total / n1 - total_ / rest;
    variance_ -= bucket_variance + n1 * rest * d * d / (n1 + rest);
  }
  remove_front(r, 1);
  while (rows_used_ > 0 && counts_[rows_used_ - 1] == 0) --rows_used_;
  return size;
}

// Scans the splits from the oldest bucket to the newest; on the first split whose
// means differ by more than the bound, drops the oldest bucket and returns true.
bool AdwinDetector::cut_once() noexcept {
  const bool river = config_.conventions == AdwinConventions::river;
  const double width = static_cast<double>(width_);
  const double d = std::log(2.0 * std::log(width) / config_.delta);
  const double v = river ? variance_ / width : variance();
  const std::uint64_t shortest = river ? config_.min_window_length : config_.min_window_length + 2;
  const double shift = static_cast<double>(config_.min_window_length) - 1.0;
  // river's scan stops one bucket short in every row; MOA's visits all of them.
  const std::uint32_t skipped = river ? 1 : 0;
  std::uint64_t n0 = 0;
  std::uint64_t n1 = width_;
  double u0 = 0.0;
  double u1 = total_;
  for (std::uint32_t rr = rows_used_; rr-- > 0;) {
    const std::uint64_t size = std::uint64_t{1} << rr;
    const std::uint32_t scanned = counts_[rr] > skipped ? counts_[rr] - skipped : 0;
    for (std::uint32_t k = 0; k < scanned; ++k) {
      const double t = totals_[slot(rr, k)];
      n0 += size;
      n1 -= size;
      u0 += t;
      u1 -= t;
      if (n1 == 0) return false;  // the newest bucket: W1 would be empty
      if (n0 < shortest || n1 < shortest) continue;
      const double diff = u0 / static_cast<double>(n0) - u1 / static_cast<double>(n1);
      const double m = 1.0 / (static_cast<double>(n0) - shift) + 1.0 / (static_cast<double>(n1) - shift);
      const double bound = std::sqrt(2.0 * m * v * d) + 2.0 / 3.0 * d * m;
      if (std::abs(diff) > bound) {
        drop_oldest();
        return true;
      }
    }
  }
  return false;
}

AdwinSnapshot AdwinDetector::snapshot() const {
  AdwinSnapshot s;
  s.config = config_;
  s.row_counts.assign(counts_.begin(), counts_.begin() + rows_used_);
  for (std::uint32_t r = 0; r < rows_used_; ++r) {
    for (std::uint32_t k = 0; k < counts_[r]; ++k) {
      s.bucket_totals.push_back(totals_[slot(r, k)]);
      s.bucket_variances.push_back(variances_[slot(r, k)]);
    }
  }
  s.width = width_;
  s.total = total_;
  s.variance = variance_;
  s.time = time_;
  s.detections = detections_;
  return s;
}

Result<AdwinDetector> AdwinDetector::restore(const AdwinSnapshot& s) {
  if (auto v = validate(s.config); !v) {
    return corrupt(join("config.", v.error().field), v.error().bound);
  }
  const AdwinConfig& c = s.config;
  if (s.row_counts.size() > c.max_rows) {
    return corrupt("row_counts", join("at most max_rows = ", std::to_string(c.max_rows), " rows"));
  }
  if (!s.row_counts.empty() && s.row_counts.back() == 0) {
    return corrupt("row_counts", "last row must not be empty");
  }
  std::uint64_t buckets = 0;
  std::uint64_t width = 0;
  for (std::size_t r = 0; r < s.row_counts.size(); ++r) {
    if (s.row_counts[r] > c.max_buckets) {
      return corrupt(join("row_counts[", std::to_string(r), "]"),
                     join("must be <= max_buckets = ", std::to_string(c.max_buckets)));
    }
    buckets += s.row_counts[r];
    width += std::uint64_t{s.row_counts[r]} << r;
  }
  if (s.bucket_totals.size() != buckets || s.bucket_variances.size() != buckets) {
    return corrupt("bucket_totals",
                     join("one total and one variance per counted bucket (", std::to_string(buckets), ")"));
  }
  for (std::size_t i = 0; i < buckets; ++i) {
    if (!std::isfinite(s.bucket_totals[i]) || !std::isfinite(s.bucket_variances[i]) ||
        s.bucket_variances[i] < 0.0) {
      return corrupt(join("bucket_variances[", std::to_string(i), "]"),
                     "totals finite, variances finite and >= 0");
    }
  }
  if (s.width != width) {
    return corrupt("width", join("must equal the points in the buckets (", std::to_string(width), ")"));
  }
  if (!std::isfinite(s.total) || !std::isfinite(s.variance)) {
    return corrupt("total", "total and variance must be finite");
  }
  if (s.time < s.width) return corrupt("time", "must be >= width");
  if (s.detections > s.time) return corrupt("detections", "must be <= time");

  AdwinDetector d(c);
  std::size_t i = 0;
  for (std::uint32_t r = 0; r < s.row_counts.size(); ++r) {
    d.counts_[r] = s.row_counts[r];
    for (std::uint32_t k = 0; k < s.row_counts[r]; ++k, ++i) {
      d.totals_[d.slot(r, k)] = s.bucket_totals[i];
      d.variances_[d.slot(r, k)] = s.bucket_variances[i];
    }
  }
  d.rows_used_ = static_cast<std::uint32_t>(s.row_counts.size());
  d.width_ = s.width;
  d.total_ = s.total;
  d.variance_ = s.variance;
  d.time_ = s.time;
  d.detections_ = s.detections;
  return d;
}

}  // namespace anomstream::drift
