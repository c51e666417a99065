#include "anomstream/triage/lsh_alert_clusterer.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace anomstream::triage {

LshAlertClusterer::LshAlertClusterer(const LshAlertClustererConfig& config,
                                     RandomHyperplanes hyperplanes)
    : config_(config), hyperplanes_(std::move(hyperplanes)), table_(config.max_entries) {}

Result<LshAlertClusterer> LshAlertClusterer::create(const LshAlertClustererConfig& config,
                                                    const SecretKeyDrawer& drawer) {
  if (auto ok = require_in_range<std::int64_t>(config.window_ns, 1, AlertClusterer::MAX_WINDOW_NS,
                                               "window_ns");
      !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range<std::size_t>(config.max_entries, 1, MAX_ENTRIES, "max_entries"); !ok) {
    return std::unexpected(ok.error());
  }
  auto hyperplanes = RandomHyperplanes::create(config.dimension, config.bits, config.key, drawer);
  if (!hyperplanes) return std::unexpected(hyperplanes.error());
  LshAlertClustererConfig resolved = config;
  resolved.key = hyperplanes->key();
  return LshAlertClusterer(resolved, std::move(*hyperplanes));
}

Result<std::uint64_t> LshAlertClusterer::signature(std::span<const double> vector) const noexcept {
  return hyperplanes_.signature(vector);
}

Result<ClusterAssignment> LshAlertClusterer::assign(std::span<const double> vector,
                                                    std::int64_t time_ns) noexcept {
  if (auto norm = checked_norm(vector, config_.dimension); !norm) return std::unexpected(norm.error());
  if (time_ns < 0) return fail(ErrorCode::invalid_input, "time_ns", ">= 0");
  const std::uint64_t signature = *hyperplanes_.signature(vector);
  const std::int64_t now = std::max(time_ns, newest_ns_);
  newest_ns_ = now;
  auto* node = table_.find(signature);
  bool opened = false;
  if (node == nullptr) {
    if (table_.full()) ++evictions_;
    node = &table_.insert(signature, Cluster{next_id_++, now, now, 0});
    opened = true;
  } else {
    table_.touch(*node);
    if (now - node->value.last_ns > config_.window_ns) {
      node->value = Cluster{next_id_++, now, now, 0};
      opened = true;
    }
  }
  node->value.last_ns = now;
  ++node->value.size;
  return ClusterAssignment{node->value.id, opened, node->value.size};
}

std::size_t LshAlertClusterer::memory_bytes() const noexcept {
  return sizeof(*this) + hyperplanes_.memory_bytes() + table_.memory_bytes();
}

LshAlertClustererSnapshot LshAlertClusterer::snapshot() const {
  LshAlertClustererSnapshot snapshot{config_, next_id_, newest_ns_, evictions_, {}};
  table_.for_each([&](const auto& node) {
    snapshot.entries.push_back({node.key, node.value.id, node.value.first_ns, node.value.last_ns,
                                node.value.size});
  });
  return snapshot;
}

Result<LshAlertClusterer> LshAlertClusterer::restore(const LshAlertClustererSnapshot& snapshot) {
  const auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  if (!snapshot.config.key) return corrupt("config.key", "set");
  auto clusterer = create(snapshot.config);
  if (!clusterer) return clusterer;
  if (snapshot.entries.size() > snapshot.config.max_entries) return corrupt("entries", "<= max_entries");
  if (snapshot.newest_ns < 0) return corrupt("newest_ns", ">= 0");
  const std::uint64_t signature_limit =
      snapshot.config.bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << snapshot.config.bits) - 1;
  std::int64_t previous = 0;
  std::vector<std::uint64_t> ids;
  for (const LshClusterEntry& e : snapshot.entries) {
    if (e.signature > signature_limit) return corrupt("entries.signature", "< 2^bits");
    if (e.id == 0 || e.id >= snapshot.next_id) return corrupt("entries.id", "in [1, next_id)");
    if (e.first_ns < 0 || e.first_ns > e.last_ns || e.last_ns > snapshot.newest_ns) {
      return corrupt("entries.last_ns", "0 <= first_ns <= last_ns <= newest_ns");
    }
    if (e.last_ns < previous) return corrupt("entries", "least recently seen first");
    if (e.size == 0) return corrupt("entries.size", ">= 1");
    if (clusterer->table_.find(e.signature) != nullptr) return corrupt("entries.signature", "unique");
    previous = e.last_ns;
    ids.push_back(e.id);
    clusterer->table_.insert(e.signature, Cluster{e.id, e.first_ns, e.last_ns, e.size});
  }
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return corrupt("entries.id", "unique");
  clusterer->next_id_ = snapshot.next_id;
  clusterer->newest_ns_ = snapshot.newest_ns;
  clusterer->evictions_ = snapshot.evictions;
  return clusterer;
}

}  // namespace anomstream::triage
