#include "anomstream/triage/lsh_alert_clusterer.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "anomstream/core/siphash.hpp"

namespace anomstream::triage {

namespace {
// The scope key's inputs: outside the hyperplanes' counter range.
constexpr std::uint64_t SCOPE_KEY_INPUT = ~std::uint64_t{0} - 2;
}  // namespace

LshAlertClusterer::LshAlertClusterer(const LshAlertClustererConfig& config,
                                     RandomHyperplanes hyperplanes)
    : config_(config),
      hyperplanes_(std::move(hyperplanes)),
      scope_key_{siphash24_u64(*config.key, SCOPE_KEY_INPUT), siphash24_u64(*config.key, SCOPE_KEY_INPUT - 1)},
      table_(config.max_entries) {}

std::uint64_t LshAlertClusterer::table_key(std::uint64_t scope, std::uint64_t signature) const noexcept {
  return scope == 0 ? signature : siphash24_u64(scope_key_, scope ^ signature);
}

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
  return assign_keyed(0, vector, time_ns);
}

Result<ClusterAssignment> LshAlertClusterer::assign(std::string_view scope, std::span<const double> vector,
                                                    std::int64_t time_ns) noexcept {
  if (scope.empty() || scope.size() > MAX_SCOPE_BYTES) return fail(ErrorCode::invalid_input, "scope", "1 to 1024 bytes");
  // Never 0, which marks the unscoped entries.
  return assign_keyed(siphash24(scope_key_, scope) | 1U, vector, time_ns);
}

Result<ClusterAssignment> LshAlertClusterer::assign_keyed(std::uint64_t scope, std::span<const double> vector,
                                                          std::int64_t time_ns) noexcept {
  if (auto norm = checked_norm(vector, config_.dimension); !norm) return std::unexpected(norm.error());
  if (time_ns < 0) return fail(ErrorCode::invalid_input, "time_ns", ">= 0");
  const std::uint64_t signature = *hyperplanes_.signature(vector);
  const std::int64_t now = std::max(time_ns, newest_ns_);
  newest_ns_ = now;
  const std::uint64_t key = table_key(scope, signature);
  auto* node = table_.find(key);
  const auto open = [&](const auto* n) { return n != nullptr && now - n->value.last_ns <= config_.window_ns; };
  if (config_.probe && !open(node)) {
    decltype(node) nearest = nullptr;
    for (std::size_t bit = 0; bit < config_.bits; ++bit) {
      auto* neighbour = table_.find(table_key(scope, signature ^ (std::uint64_t{1} << bit)));
      if (open(neighbour) && (nearest == nullptr || neighbour->value.last_ns > nearest->value.last_ns)) {
        nearest = neighbour;
      }
    }
    if (nearest != nullptr) {
      table_.touch(*nearest);
      nearest->value.last_ns = now;
      ++nearest->value.size;
      return ClusterAssignment{nearest->value.id, false, nearest->value.size};
    }
  }
  bool opened = false;
  if (node == nullptr) {
    if (table_.full()) ++evictions_;
    node = &table_.insert(key, Cluster{signature, scope, next_id_++, now, now, 0});
    opened = true;
  } else {
    table_.touch(*node);
    if (now - node->value.last_ns > config_.window_ns) {
      node->value = Cluster{signature, scope, next_id_++, now, now, 0};
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
    snapshot.entries.push_back({node.value.signature, node.value.scope, node.value.id, node.value.first_ns,
                                node.value.last_ns, node.value.size});
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
    const std::uint64_t key = clusterer->table_key(e.scope, e.signature);
    if (clusterer->table_.find(key) != nullptr) return corrupt("entries.signature", "unique within its scope");
    previous = e.last_ns;
    ids.push_back(e.id);
    clusterer->table_.insert(key, Cluster{e.signature, e.scope, e.id, e.first_ns, e.last_ns, e.size});
  }
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return corrupt("entries.id", "unique");
  clusterer->next_id_ = snapshot.next_id;
  clusterer->newest_ns_ = snapshot.newest_ns;
  clusterer->evictions_ = snapshot.evictions;
  return clusterer;
}

}  // namespace anomstream::triage
