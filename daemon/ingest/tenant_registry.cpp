#include "ingest/tenant_registry.hpp"

#include <algorithm>

namespace anomstream::daemon {

bool TenantRegistry::Bucket::take(double rate, double burst, std::int64_t now_ns) {
  if (refilled_ns == 0) {
    tokens = burst;
  } else if (now_ns > refilled_ns) {
    tokens = std::min(burst, tokens + rate * static_cast<double>(now_ns - refilled_ns) * 1e-9);
  }
  refilled_ns = std::max(refilled_ns, now_ns);
  if (tokens < 1.0) return false;
  tokens -= 1.0;
  return true;
}

TenantRegistry::TenantRegistry(const TenantLimits& limits, SipKey key)
    : limits_(limits),
      capacity_per_shard_(std::max<std::size_t>(1, (limits.capacity + SHARDS - 1) / SHARDS)),
      shards_(std::make_unique<Shard[]>(SHARDS)) {
  for (std::size_t s = 0; s < SHARDS; ++s) shards_[s].index = decltype(Shard::index)(0, KeyedStringHash{key});
}

TenantRegistry::Verdict TenantRegistry::admit(std::string_view tenant, std::uint64_t shard_hash,
                                              std::int64_t now_ns) {
  Shard& shard = shards_[shard_hash % SHARDS];
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(tenant);
  if (it == shard.index.end()) {
    {
      std::lock_guard new_lock(new_mutex_);
      if (!new_tenants_.take(limits_.new_per_second, limits_.new_burst, now_ns)) return Verdict::new_tenant_limited;
    }
    if (shard.order.size() >= capacity_per_shard_) {
      shard.index.erase(shard.order.back().name);
      shard.order.pop_back();
    }
    shard.order.push_front(Entry{std::string(tenant), {}});
    it = shard.index.emplace(shard.order.front().name, shard.order.begin()).first;
  } else {
    shard.order.splice(shard.order.begin(), shard.order, it->second);
  }
  if (limits_.per_tenant_rate > 0 &&
      !it->second->bucket.take(limits_.per_tenant_rate, std::max(1.0, limits_.per_tenant_burst), now_ns)) {
    return Verdict::rate_limited;
  }
  return Verdict::admitted;
}

std::size_t TenantRegistry::size() const {
  std::size_t n = 0;
  for (std::size_t s = 0; s < SHARDS; ++s) {
    std::lock_guard lock(shards_[s].mutex);
    n += shards_[s].order.size();
  }
  return n;
}

}  // namespace anomstream::daemon
