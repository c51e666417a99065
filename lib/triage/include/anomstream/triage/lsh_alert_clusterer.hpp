#pragma once
// LshAlertClusterer: alert clustering in O(b d) per alert whatever the number of open
// clusters. An alert's attribution or feature vector gets a b-bit random-hyperplane
// signature (RandomHyperplanes: Charikar, STOC 2002); alerts with the same signature
// within `window_ns` of the cluster's last alert share a cluster id, so two alerts at
// angle theta land together with probability (1 - theta / pi)^b.
// With `probe` (multi-probe LSH: Lv, Josephson, Wang, Charikar & Li, VLDB 2007), an
// alert whose own signature has no open cluster joins the open cluster, among those
// whose signature differs from its own in exactly one bit, that saw an alert last: two
// alerts at angle theta then land together with probability
// (1 - p)^b + b p (1 - p)^(b - 1), p = theta / pi (b = 12: 0.82 at 11.5 degrees, where
// the exact match alone gives 0.45; 0.003 for orthogonal alerts). The joined cluster
// keeps its signature; the next alert with the prober's signature probes again.
//
// The hyperplanes come from a per-instance secret key (core's draw_secret_key, unless
// the config supplies one for tests and replays): someone who crafts alerts cannot
// predict signatures, so cannot force their alerts into another cluster or split one.
// A scope (for example a stream name) keeps alerts of different scopes apart: the same
// signature under two scopes is two clusters. Scopes are hashed under a key derived from
// the secret key, so a crafted scope name cannot land on another scope's entries.
// Time never runs backwards: an alert older than the newest seen counts as arriving at
// the newest time. A signature whose cluster has closed opens a new cluster (new id).
// Bound: at most `max_entries` signatures are remembered; a new one beyond that evicts
// the least recently seen (the cluster whose last alert is oldest), counted in
// evictions().
// Memory: 8 b d bytes of hyperplanes + 64 max_entries + 4 bit_ceil(2 max_entries) bytes
// of table plus a constant (memory_bytes()), allocated at construction.
// Time: O(b d) for the signature plus expected O(1) for the table (O(b) with `probe`
// when the own signature has no open cluster); no allocation.
// Errors: create() names a config field outside its bound (invalid_config) or fails
// when the key draw fails (io_error, field "secret_key"). assign() rejects a wrong
// length (dimension_mismatch), non-finite values (non_finite), a zero vector or a
// negative time (invalid_input), leaving the state unchanged. restore() rejects a
// snapshot that breaks its invariants (corrupt_snapshot).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/triage/alert_clusterer.hpp"
#include "anomstream/triage/detail/lru_table.hpp"
#include "anomstream/triage/random_hyperplanes.hpp"

namespace anomstream::triage {

struct LshAlertClustererConfig {
  std::size_t dimension = 1;                 // d, [1, RandomHyperplanes::MAX_DIMENSION]
  std::size_t bits = 16;                     // b, [1, 64]
  std::int64_t window_ns = 300'000'000'000;  // how long a cluster stays open, [1, 1e18]
  std::size_t max_entries = 4096;            // signatures remembered, [1, MAX_ENTRIES]
  bool probe = false;                        // also join an open cluster one signature bit away
  std::optional<SipKey> key;                 // unset: a fresh secret key per instance

  friend bool operator==(const LshAlertClustererConfig&, const LshAlertClustererConfig&) = default;
};

struct LshClusterEntry {
  std::uint64_t signature = 0;
  std::uint64_t scope = 0;  // keyed hash of the scope; 0: unscoped
  std::uint64_t id = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::uint64_t size = 0;

  friend bool operator==(const LshClusterEntry&, const LshClusterEntry&) = default;
};

struct LshAlertClustererSnapshot {
  LshAlertClustererConfig config;  // with the key set
  std::uint64_t next_id = 1;
  std::int64_t newest_ns = 0;
  std::uint64_t evictions = 0;
  std::vector<LshClusterEntry> entries;  // least recently seen first

  friend bool operator==(const LshAlertClustererSnapshot&, const LshAlertClustererSnapshot&) =
      default;
};

class LshAlertClusterer {
 public:
  static constexpr std::size_t MAX_ENTRIES = std::size_t{1} << 20;
  static constexpr std::size_t MAX_SCOPE_BYTES = 1024;

  [[nodiscard]] static Result<LshAlertClusterer> create(
      const LshAlertClustererConfig& config, const SecretKeyDrawer& drawer = draw_secret_key);
  [[nodiscard]] static Result<LshAlertClusterer> restore(const LshAlertClustererSnapshot& snapshot);

  [[nodiscard]] Result<ClusterAssignment> assign(std::span<const double> vector,
                                                 std::int64_t time_ns) noexcept;
  // As assign(vector, time_ns), within `scope` (1 to 1024 bytes, else invalid_input).
  [[nodiscard]] Result<ClusterAssignment> assign(std::string_view scope, std::span<const double> vector,
                                                 std::int64_t time_ns) noexcept;
  // The signature assign() would use.
  [[nodiscard]] Result<std::uint64_t> signature(std::span<const double> vector) const noexcept;

  [[nodiscard]] std::size_t entries() const noexcept { return table_.size(); }
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }
  [[nodiscard]] const LshAlertClustererConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] LshAlertClustererSnapshot snapshot() const;

 private:
  struct Cluster {
    std::uint64_t signature = 0;
    std::uint64_t scope = 0;
    std::uint64_t id = 0;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
    std::uint64_t size = 0;
  };

  LshAlertClusterer(const LshAlertClustererConfig& config, RandomHyperplanes hyperplanes);
  [[nodiscard]] Result<ClusterAssignment> assign_keyed(std::uint64_t scope, std::span<const double> vector,
                                                       std::int64_t time_ns) noexcept;
  [[nodiscard]] std::uint64_t table_key(std::uint64_t scope, std::uint64_t signature) const noexcept;

  LshAlertClustererConfig config_;
  RandomHyperplanes hyperplanes_;
  SipKey scope_key_;  // derived from the key, apart from the hyperplanes' inputs
  detail::LruTable<Cluster> table_;
  std::uint64_t next_id_ = 1;
  std::int64_t newest_ns_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace anomstream::triage
