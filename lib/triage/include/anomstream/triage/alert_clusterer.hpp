#pragma once
// AlertClusterer: folds alerts that look alike and arrive close together into one
// cluster, so an analyst sees one incident instead of a burst of alerts.
//
// Method: online leader clustering (Hartigan, "Clustering Algorithms", 1975, ch. 3) on
// cosine similarity. Each open cluster keeps the sum of its alerts' unit vectors (its
// mean direction) and the time of its last alert. An alert at time t joins the open
// cluster whose mean direction has the highest cosine similarity with its attribution
// or feature vector if that similarity is >= `threshold` (the smaller id on a tie), else
// it opens a new cluster with the next id (ids start at 1 and never repeat). A cluster is open while
// t - last <= `window_ns`; closed ones are dropped when met. Time never runs backwards:
// an alert older than the newest seen counts as arriving at the newest time.
// Bound: at most `max_open` clusters; opening one more evicts the cluster whose last
// alert is oldest (the smallest id on a tie), counted in evictions().
// Memory: max_open * (8 d + 40) + 8 d bytes plus a constant (memory_bytes()), allocated
// at construction.
// Time: O(max_open * d) per alert; no allocation.
// Errors: create() names a config field outside its bound (invalid_config). assign()
// rejects a wrong length (dimension_mismatch), non-finite values (non_finite), a zero
// vector or a negative time (invalid_input), leaving the state unchanged. restore()
// rejects a snapshot that breaks its invariants (corrupt_snapshot).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::triage {

struct AlertClustererConfig {
  std::size_t dimension = 1;           // d, [1, MAX_DIMENSION]
  double threshold = 0.9;              // cosine similarity to join, [-1, 1]
  std::int64_t window_ns = 300'000'000'000;  // how long a cluster stays open, [1, 1e18]
  std::size_t max_open = 1024;         // open clusters at most, [1, MAX_OPEN]

  friend bool operator==(const AlertClustererConfig&, const AlertClustererConfig&) = default;
};

// Where an alert went.
struct ClusterAssignment {
  std::uint64_t cluster_id = 0;
  bool opened = false;     // the alert opened the cluster
  std::uint64_t size = 0;  // alerts in the cluster, this one included
};

struct OpenCluster {
  std::uint64_t id = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::uint64_t size = 0;
  std::vector<double> direction_sum;  // sum of the members' unit vectors, d values

  friend bool operator==(const OpenCluster&, const OpenCluster&) = default;
};

struct AlertClustererSnapshot {
  AlertClustererConfig config;
  std::uint64_t next_id = 1;
  std::int64_t newest_ns = 0;
  std::uint64_t evictions = 0;
  std::vector<OpenCluster> clusters;  // at most max_open; their order carries no meaning

  friend bool operator==(const AlertClustererSnapshot&, const AlertClustererSnapshot&) = default;
};

class AlertClusterer {
 public:
  static constexpr std::size_t MAX_DIMENSION = 4096;
  static constexpr std::size_t MAX_OPEN = 65536;
  static constexpr std::int64_t MAX_WINDOW_NS = 1'000'000'000'000'000'000;

  [[nodiscard]] static Result<AlertClusterer> create(const AlertClustererConfig& config);
  [[nodiscard]] static Result<AlertClusterer> restore(const AlertClustererSnapshot& snapshot);

  [[nodiscard]] Result<ClusterAssignment> assign(std::span<const double> vector,
                                                 std::int64_t time_ns) noexcept;

  [[nodiscard]] std::size_t open_clusters() const noexcept;
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }
  [[nodiscard]] const AlertClustererConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] AlertClustererSnapshot snapshot() const;

 private:
  explicit AlertClusterer(const AlertClustererConfig& config);
  [[nodiscard]] double* sum_of(std::size_t slot) noexcept { return sums_.data() + slot * config_.dimension; }
  void set_norm(std::size_t slot) noexcept;

  struct Slot {
    std::uint64_t id = 0;  // 0: free
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
    std::uint64_t size = 0;
    double norm = 0.0;     // |direction_sum|, derived
  };

  AlertClustererConfig config_;
  std::vector<Slot> slots_;
  std::vector<double> sums_;  // max_open rows of d
  std::vector<double> unit_;  // scratch: the alert's unit vector
  std::uint64_t next_id_ = 1;
  std::int64_t newest_ns_ = 0;
  std::uint64_t evictions_ = 0;
};

// |v|, or an error: dimension_mismatch, non_finite, or invalid_input for a zero vector
// (no direction). Shared by the clusterers.
[[nodiscard]] Result<double> checked_norm(std::span<const double> vector, std::size_t dimension) noexcept;

}  // namespace anomstream::triage
