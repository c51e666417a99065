#include "anomstream/stats/t_digest.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numbers>
#include <utility>

namespace anomstream::stats {
namespace {

constexpr std::uint64_t SIGN_BIT = std::uint64_t{1} << 63;
constexpr double MAX_EXACT_WEIGHT = 9007199254740992.0;  // 2^53

// Maps a double to an unsigned key whose integer order is the numeric order
// (negatives reversed below positives), so the buffer can be radix-sorted.
std::uint64_t to_key(double value) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  return (bits & SIGN_BIT) != 0 ? ~bits : bits | SIGN_BIT;
}

double from_key(std::uint64_t key) noexcept {
  return std::bit_cast<double>((key & SIGN_BIT) != 0 ? key & ~SIGN_BIT : ~key);
}

// LSD radix sort, 8 bits per pass; passes where every key shares the digit are skipped.
// Returns whichever of the two arrays holds the sorted keys.
std::uint64_t* radix_sort(std::uint64_t* keys, std::uint64_t* scratch, std::size_t n) noexcept {
  if (n < 64) {
    std::sort(keys, keys + n);
    return keys;
  }
  std::array<std::array<std::uint32_t, 256>, 8> counts{};
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t key = keys[i];
    for (std::size_t pass = 0; pass < 8; ++pass) {
      ++counts[pass][(key >> (8 * pass)) & 0xff];
    }
  }
  std::uint64_t* from = keys;
  std::uint64_t* to = scratch;
  for (std::size_t pass = 0; pass < 8; ++pass) {
    auto& offsets = counts[pass];
    const unsigned shift = 8 * static_cast<unsigned>(pass);
    if (offsets[(from[0] >> shift) & 0xff] == n) {
      continue;
    }
    std::uint32_t running = 0;
    for (auto& slot : offsets) {
      const std::uint32_t c = slot;
      slot = running;
      running += c;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t key = from[i];
      to[offsets[(key >> shift) & 0xff]++] = key;
    }
    std::swap(from, to);
  }
  return from;
}

// Weight limit of a centroid whose left edge sits at quantile q0: the k1 scale may grow
// by at most one unit across it, so it may extend up to q = k^-1(k(q0) + 1).
double weight_limit(double q0, double compression, double total_weight) noexcept {
  const double scale = compression / (2.0 * std::numbers::pi);
  const double k = scale * std::asin(std::clamp(2.0 * q0 - 1.0, -1.0, 1.0)) + 1.0;
  if (k >= compression / 4.0) {
    return total_weight;
  }
  return total_weight * (std::sin(k / scale) + 1.0) / 2.0;
}

}  // namespace

TDigest::TDigest(double compression)
    : compression_(compression),
      means_(static_cast<std::size_t>(std::ceil(compression)) + 4),
      weights_(means_.size()),
      buffer_(BUFFER_FACTOR * static_cast<std::size_t>(std::ceil(compression))),
      sort_scratch_(buffer_.size()),
      merge_means_(means_.size() + buffer_.size()),
      merge_weights_(merge_means_.size()) {}

Result<TDigest> TDigest::create(const TDigestConfig& config) {
  if (auto ok = require_in_range(config.compression, MIN_COMPRESSION, MAX_COMPRESSION,
                                 "compression");
      !ok) {
    return std::unexpected(ok.error());
  }
  return TDigest(config.compression);
}

Status TDigest::add(double value) noexcept {
  if (!std::isfinite(value)) [[unlikely]] {
    return fail(ErrorCode::non_finite, "value", "must be finite");
  }
  value += 0.0;  // -0.0 -> +0.0, so equal values share one key
  buffer_[buffered_++] = to_key(value);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  if (buffered_ == buffer_.size()) {
    flush();
  }
  return {};
}

std::uint64_t TDigest::count() const noexcept {
  return static_cast<std::uint64_t>(merged_weight_) + buffered_;
}

void TDigest::flush() noexcept {
  if (buffered_ == 0) {
    return;
  }
  const std::uint64_t* sorted = radix_sort(buffer_.data(), sort_scratch_.data(), buffered_);
  // Two-way merge of the ascending centroids and the ascending buffer (centroids first
  // on ties, for a fixed order).
  std::size_t c = 0;
  std::size_t b = 0;
  std::size_t out = 0;
  while (c < centroid_count_ || b < buffered_) {
    if (b == buffered_ || (c < centroid_count_ && means_[c] <= from_key(sorted[b]))) {
      merge_means_[out] = means_[c];
      merge_weights_[out] = weights_[c];
      ++c;
    } else {
      merge_means_[out] = from_key(sorted[b]);
      merge_weights_[out] = 1.0;
      ++b;
    }
    ++out;
  }
  const double total = merged_weight_ + static_cast<double>(buffered_);
  buffered_ = 0;
  compress_into_centroids(std::span<const double>(merge_means_).first(out),
                          std::span<const double>(merge_weights_).first(out), total);
}

// One greedy pass (Dunning & Ertl, Algorithm 1) over sorted (mean, weight) items into the
// centroid arrays (which must not alias the items). Even merges run left to right, odd ones right to left:
// a one-way pass leaves its partly filled centroids always at the same end, and
// alternating spreads them (k1 is symmetric, so the right-to-left pass is the mirror).
void TDigest::compress_into_centroids(std::span<const double> item_means,
                                      std::span<const double> item_weights,
                                      double total_weight) noexcept {
  const std::size_t item_count = item_means.size();
  const bool reverse = (merge_count_ & 1U) != 0;
  const auto item = [&](std::size_t i) { return reverse ? item_count - 1 - i : i; };
  const std::size_t capacity = means_.size();

  std::size_t out = 0;
  double weight_before = 0.0;  // weight of the emitted centroids
  std::size_t first = item(0);
  double mean = item_means[first];
  double weight = item_weights[first];
  double edge_a = mean;  // the current centroid's first and last item means
  double edge_b = mean;
  double limit = weight_limit(0.0, compression_, total_weight);
  const auto emit = [&] {
    means_[out] = std::clamp(mean, std::min(edge_a, edge_b), std::max(edge_a, edge_b));
    weights_[out] = weight;
    ++out;
  };
  for (std::size_t i = 1; i < item_count; ++i) {
    const std::size_t at = item(i);
    const double w = item_weights[at];
    const double m = item_means[at];
    // The capacity guard cannot trigger (at most ceil(delta) + 2 centroids fit the
    // scale), but keeps the arrays safe whatever the rounding.
    if (weight_before + weight + w <= limit || out + 1 == capacity) {
      weight += w;
      mean += (m - mean) * (w / weight);
      edge_b = m;
    } else {
      emit();
      weight_before += weight;
      limit = weight_limit(weight_before / total_weight, compression_, total_weight);
      mean = m;
      weight = w;
      edge_a = m;
      edge_b = m;
    }
  }
  emit();
  if (reverse) {
    std::reverse(means_.begin(), means_.begin() + static_cast<std::ptrdiff_t>(out));
    std::reverse(weights_.begin(), weights_.begin() + static_cast<std::ptrdiff_t>(out));
  }
  centroid_count_ = out;
  merged_weight_ = total_weight;
  ++merge_count_;
}

void TDigest::merge(const TDigest& other) {
  if (other.count() == 0) {
    return;
  }
  std::vector<std::pair<double, double>> items;
  items.reserve(centroid_count_ + buffered_ + other.centroid_count_ + other.buffered_);
  for (const TDigest* digest : {static_cast<const TDigest*>(this), &other}) {
    for (std::size_t i = 0; i < digest->centroid_count_; ++i) {
      items.emplace_back(digest->means_[i], digest->weights_[i]);
    }
    for (std::size_t i = 0; i < digest->buffered_; ++i) {
      items.emplace_back(from_key(digest->buffer_[i]), 1.0);
    }
  }
  std::sort(items.begin(), items.end());
  std::vector<double> item_means(items.size());
  std::vector<double> item_weights(items.size());
  double total = 0.0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    item_means[i] = items[i].first;
    item_weights[i] = items[i].second;
    total += items[i].second;
  }
  buffered_ = 0;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  compress_into_centroids(item_means, item_weights, total);
}

Result<double> TDigest::quantile(double q) noexcept {
  if (!(q >= 0.0 && q <= 1.0)) {
    return fail(ErrorCode::invalid_input, "q", "must be in [0, 1]");
  }
  flush();
  if (centroid_count_ == 0) {
    return fail(ErrorCode::not_ready, "count", "must be > 0");
  }
  // Knots (value, rank): (min, 0), (mean_i, weight before i + weight_i / 2), (max, n).
  const double index = q * merged_weight_;
  double prev_x = min_;
  double prev_rank = 0.0;
  double before = 0.0;
  for (std::size_t i = 0; i <= centroid_count_; ++i) {
    const bool last = i == centroid_count_;
    const double x = last ? max_ : means_[i];
    const double rank = last ? merged_weight_ : before + weights_[i] / 2.0;
    if (index <= rank) {
      if (rank <= prev_rank) {
        return x;
      }
      const double t = (index - prev_rank) / (rank - prev_rank);
      return std::clamp(prev_x + t * (x - prev_x), prev_x, x);
    }
    if (!last) {
      before += weights_[i];
    }
    prev_x = x;
    prev_rank = rank;
  }
  return max_;
}

Result<double> TDigest::cdf(double x) noexcept {
  if (!std::isfinite(x)) {
    return fail(ErrorCode::non_finite, "x", "must be finite");
  }
  flush();
  if (centroid_count_ == 0) {
    return fail(ErrorCode::not_ready, "count", "must be > 0");
  }
  if (x < min_) return 0.0;
  if (x > max_) return 1.0;
  // Walk the same knots as quantile(); on knots equal to x, return the middle of their
  // rank span.
  const double n = merged_weight_;
  double prev_x = min_;
  double prev_rank = 0.0;
  double before = 0.0;
  bool tied = x == min_;
  double tie_start = 0.0;
  for (std::size_t i = 0; i <= centroid_count_; ++i) {
    const bool last = i == centroid_count_;
    const double knot_x = last ? max_ : means_[i];
    const double rank = last ? n : before + weights_[i] / 2.0;
    if (!last) {
      before += weights_[i];
    }
    if (tied) {
      if (knot_x != x) {
        return (tie_start + prev_rank) / 2.0 / n;
      }
    } else if (knot_x == x) {
      tied = true;
      tie_start = rank;
    } else if (knot_x > x) {
      const double t = (x - prev_x) / (knot_x - prev_x);
      return (prev_rank + t * (rank - prev_rank)) / n;
    }
    prev_x = knot_x;
    prev_rank = rank;
  }
  return (tie_start + n) / 2.0 / n;
}

TDigestSnapshot TDigest::snapshot() const {
  TDigestSnapshot snap;
  snap.compression = compression_;
  snap.means.assign(means_.begin(), means_.begin() + static_cast<std::ptrdiff_t>(centroid_count_));
  snap.weights.assign(weights_.begin(),
                      weights_.begin() + static_cast<std::ptrdiff_t>(centroid_count_));
  snap.buffer.reserve(buffered_);
  for (std::size_t i = 0; i < buffered_; ++i) {
    snap.buffer.push_back(from_key(buffer_[i]));
  }
  snap.min = min_;
  snap.max = max_;
  snap.merge_count = merge_count_;
  return snap;
}

Result<TDigest> TDigest::restore(const TDigestSnapshot& snap) {
  const auto corrupt = [](const char* field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, field, std::move(bound));
  };
  if (!(snap.compression >= MIN_COMPRESSION && snap.compression <= MAX_COMPRESSION)) {
    return corrupt("compression", "must be in [" + format_number(MIN_COMPRESSION) + ", " +
                                      format_number(MAX_COMPRESSION) + "]");
  }
  TDigest digest(snap.compression);
  if (snap.weights.size() != snap.means.size()) {
    return corrupt("weights", "must have as many entries as means");
  }
  if (snap.means.size() > digest.max_centroids()) {
    return corrupt("means", "at most " + std::to_string(digest.max_centroids()) + " centroids");
  }
  if (snap.buffer.size() >= digest.buffer_capacity()) {
    return corrupt("buffer", "fewer than " + std::to_string(digest.buffer_capacity()) + " points");
  }
  const bool empty = snap.means.empty() && snap.buffer.empty();
  if (empty) {
    if (snap.min != std::numeric_limits<double>::infinity() ||
        snap.max != -std::numeric_limits<double>::infinity()) {
      return corrupt("min", "an empty digest has min +inf and max -inf");
    }
  } else if (!std::isfinite(snap.min) || !std::isfinite(snap.max) || snap.min > snap.max) {
    return corrupt("min", "must be finite and <= max");
  }
  double total = 0.0;
  for (std::size_t i = 0; i < snap.means.size(); ++i) {
    const double m = snap.means[i];
    const double w = snap.weights[i];
    if (!(m >= snap.min && m <= snap.max)) return corrupt("means", "must lie in [min, max]");
    if (i > 0 && m < snap.means[i - 1]) return corrupt("means", "must be non-decreasing");
    if (!(w >= 1.0 && w <= MAX_EXACT_WEIGHT) || w != std::floor(w)) {
      return corrupt("weights", "must be integers in [1, 2^53]");
    }
    total += w;
  }
  if (total > MAX_EXACT_WEIGHT) return corrupt("weights", "must sum to at most 2^53");
  for (std::size_t i = 0; i < snap.buffer.size(); ++i) {
    const double v = snap.buffer[i];
    if (!(v >= snap.min && v <= snap.max)) return corrupt("buffer", "must lie in [min, max]");
    digest.buffer_[i] = to_key(v);
  }
  std::copy(snap.means.begin(), snap.means.end(), digest.means_.begin());
  std::copy(snap.weights.begin(), snap.weights.end(), digest.weights_.begin());
  digest.centroid_count_ = snap.means.size();
  digest.merged_weight_ = total;
  digest.buffered_ = snap.buffer.size();
  digest.min_ = snap.min;
  digest.max_ = snap.max;
  digest.merge_count_ = snap.merge_count;
  return digest;
}

}  // namespace anomstream::stats
