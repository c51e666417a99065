#pragma once
// Ingest's memory of tenants, so that no client can crowd out the others:
//   - a tenant it has not seen (or has forgotten) takes a token from a shared bucket of
//     new tenants (new_per_second, up to new_burst): a flood of made-up tenant names is
//     refused at that rate (rejected `tenant_limit`, told to the client) and cannot
//     push established tenants' models out of the workers' pools any faster;
//   - each known tenant has its own token bucket of observations (per_tenant_rate per
//     second, up to per_tenant_burst; 0 = no limit): a tenant beyond it is rate-capped
//     alone.
// Tenants are remembered least-recently-used first up to `capacity` (spread over 64
// shards); one forgotten comes back as new.
// Memory: at most `capacity` entries of the name plus about 100 bytes.
// Time: one hash, one shard lock and a list splice per observation. Thread-safe.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "anomstream/core/siphash.hpp"

namespace anomstream::daemon {

struct TenantLimits {
  std::size_t capacity = 4096;
  double new_per_second = 100;
  double new_burst = 1000;
  double per_tenant_rate = 0;  // observations per second; 0: no per-tenant limit
  double per_tenant_burst = 0;
};

class TenantRegistry {
 public:
  enum class Verdict : std::uint8_t { admitted, new_tenant_limited, rate_limited };

  // `key` is secret: tenant names are the clients' choice (see KeyedStringHash).
  TenantRegistry(const TenantLimits& limits, SipKey key);
  Verdict admit(std::string_view tenant, std::uint64_t shard_hash, std::int64_t now_ns);
  [[nodiscard]] std::size_t size() const;

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t refilled_ns = 0;
    bool take(double rate, double burst, std::int64_t now_ns);
  };
  struct Entry {
    std::string name;
    Bucket bucket;
  };
  static constexpr std::size_t SHARDS = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> order;  // most recent first
    std::unordered_map<std::string_view, std::list<Entry>::iterator, KeyedStringHash> index;
  };
  TenantLimits limits_;
  std::size_t capacity_per_shard_;
  std::unique_ptr<Shard[]> shards_;
  std::mutex new_mutex_;
  Bucket new_tenants_;
};

}  // namespace anomstream::daemon
