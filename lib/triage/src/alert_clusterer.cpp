#include "anomstream/triage/alert_clusterer.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace anomstream::triage {

Result<double> checked_norm(std::span<const double> vector, std::size_t dimension) noexcept {
  if (auto ok = require_dimension(vector.size(), dimension, "vector"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_finite(vector, "vector"); !ok) return std::unexpected(ok.error());
  // Scaled by the largest magnitude so squares neither overflow nor underflow.
  double largest = 0.0;
  for (double v : vector) largest = std::max(largest, std::abs(v));
  if (largest == 0.0) return fail(ErrorCode::invalid_input, "vector", "not all zero");
  double sum = 0.0;
  for (double v : vector) sum += (v / largest) * (v / largest);
  return largest * std::sqrt(sum);
}

AlertClusterer::AlertClusterer(const AlertClustererConfig& config)
    : config_(config),
      slots_(config.max_open),
      sums_(config.max_open * config.dimension),
      unit_(config.dimension) {}

Result<AlertClusterer> AlertClusterer::create(const AlertClustererConfig& config) {
  if (auto ok = require_in_range<std::size_t>(config.dimension, 1, MAX_DIMENSION, "dimension"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range(config.threshold, -1.0, 1.0, "threshold"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range<std::int64_t>(config.window_ns, 1, MAX_WINDOW_NS, "window_ns"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range<std::size_t>(config.max_open, 1, MAX_OPEN, "max_open"); !ok) {
    return std::unexpected(ok.error());
  }
  return AlertClusterer(config);
}

void AlertClusterer::set_norm(std::size_t slot) noexcept {
  const double* sum = sum_of(slot);
  double squares = 0.0;
  for (std::size_t j = 0; j < config_.dimension; ++j) squares += sum[j] * sum[j];
  slots_[slot].norm = std::sqrt(squares);
}

Result<ClusterAssignment> AlertClusterer::assign(std::span<const double> vector,
                                                 std::int64_t time_ns) noexcept {
  auto norm = checked_norm(vector, config_.dimension);
  if (!norm) return std::unexpected(norm.error());
  if (time_ns < 0) return fail(ErrorCode::invalid_input, "time_ns", ">= 0");
  const std::int64_t now = std::max(time_ns, newest_ns_);
  newest_ns_ = now;

  const std::size_t d = config_.dimension;
  for (std::size_t j = 0; j < d; ++j) unit_[j] = vector[j] / *norm;
  std::size_t best = slots_.size(), free_slot = slots_.size(), oldest = slots_.size();
  double best_similarity = -2.0;
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    Slot& slot = slots_[s];
    if (slot.id != 0 && now - slot.last_ns > config_.window_ns) slot.id = 0;  // closed
    if (slot.id == 0) {
      if (free_slot == slots_.size()) free_slot = s;
      continue;
    }
    if (oldest == slots_.size() || slot.last_ns < slots_[oldest].last_ns ||
        (slot.last_ns == slots_[oldest].last_ns && slot.id < slots_[oldest].id)) {
      oldest = s;
    }
    const double* sum = sum_of(s);
    double dot = 0.0;
    for (std::size_t j = 0; j < d; ++j) dot += sum[j] * unit_[j];
    const double similarity = dot / slot.norm;
    // Ties go to the smaller id, so slot positions never change a decision.
    if (similarity > best_similarity ||
        (similarity == best_similarity && slot.id < slots_[best].id)) {
      best_similarity = similarity;
      best = s;
    }
  }

  std::size_t target = best;
  const bool opened = best == slots_.size() || best_similarity < config_.threshold;
  if (opened) {
    if (free_slot == slots_.size()) {
      free_slot = oldest;
      ++evictions_;
    }
    target = free_slot;
    slots_[target] = Slot{next_id_++, now, now, 0, 0.0};
    std::fill_n(sum_of(target), d, 0.0);
  }
  Slot& slot = slots_[target];
  double* sum = sum_of(target);
  for (std::size_t j = 0; j < d; ++j) sum[j] += unit_[j];
  set_norm(target);
  slot.last_ns = now;
  ++slot.size;
  return ClusterAssignment{slot.id, opened, slot.size};
}

std::size_t AlertClusterer::open_clusters() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(slots_.begin(), slots_.end(), [&](const Slot& slot) {
        return slot.id != 0 && newest_ns_ - slot.last_ns <= config_.window_ns;
      }));
}

std::size_t AlertClusterer::memory_bytes() const noexcept {
  return sizeof(*this) + slots_.size() * sizeof(Slot) + (sums_.size() + unit_.size()) * sizeof(double);
}

AlertClustererSnapshot AlertClusterer::snapshot() const {
  AlertClustererSnapshot snapshot{config_, next_id_, newest_ns_, evictions_, {}};
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].id == 0) continue;
    const double* sum = sums_.data() + s * config_.dimension;
    snapshot.clusters.push_back({slots_[s].id, slots_[s].first_ns, slots_[s].last_ns,
                                 slots_[s].size, {sum, sum + config_.dimension}});
  }
  return snapshot;
}

Result<AlertClusterer> AlertClusterer::restore(const AlertClustererSnapshot& snapshot) {
  auto clusterer = create(snapshot.config);
  if (!clusterer) return clusterer;
  const auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  if (snapshot.clusters.size() > snapshot.config.max_open) return corrupt("clusters", "<= max_open");
  if (snapshot.newest_ns < 0) return corrupt("newest_ns", ">= 0");
  std::vector<std::uint64_t> ids;
  for (std::size_t s = 0; s < snapshot.clusters.size(); ++s) {
    const OpenCluster& c = snapshot.clusters[s];
    if (c.id == 0 || c.id >= snapshot.next_id) return corrupt("clusters.id", "in [1, next_id)");
    if (c.first_ns < 0 || c.first_ns > c.last_ns || c.last_ns > snapshot.newest_ns) {
      return corrupt("clusters.last_ns", "0 <= first_ns <= last_ns <= newest_ns");
    }
    if (c.size == 0) return corrupt("clusters.size", ">= 1");
    auto norm = checked_norm(c.direction_sum, snapshot.config.dimension);
    if (!norm) return corrupt("clusters.direction_sum", "d finite values, not all zero");
    if (*norm > static_cast<double>(c.size) * (1.0 + 1e-9)) {
      return corrupt("clusters.direction_sum", "norm <= size (a sum of unit vectors)");
    }
    ids.push_back(c.id);
    clusterer->slots_[s] = Slot{c.id, c.first_ns, c.last_ns, c.size, 0.0};
    std::copy(c.direction_sum.begin(), c.direction_sum.end(), clusterer->sum_of(s));
    clusterer->set_norm(s);
  }
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return corrupt("clusters.id", "unique");
  clusterer->next_id_ = snapshot.next_id;
  clusterer->newest_ns_ = snapshot.newest_ns;
  clusterer->evictions_ = snapshot.evictions;
  return clusterer;
}

}  // namespace anomstream::triage
