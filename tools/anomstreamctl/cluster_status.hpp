#pragma once
// The state of one scoring group of a scale-out deployment, read from NATS JetStream
// (docs/scale-out.md): per partition its lease (owner and KV revision), its durable
// consumer's progress and its newest hand-off snapshot; the group's live members; the
// observation stream's size. Read-only: it takes no lease and acknowledges nothing.
// Errors: an unreachable server, or a stream or bucket that does not exist, is a text
// saying which and where.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>


namespace anomstream::tools {

struct PartitionStatus {
  std::uint32_t partition = 0;
  std::string owner{};                // the lease's holder; "" when nobody holds it
  std::uint64_t lease_revision = 0;  // 0 without a lease
  bool consumer = false;            // the group's consumer for it exists (the fields below)
  std::uint64_t pending = 0;        // not yet delivered
  std::uint64_t ack_pending = 0;    // delivered, not yet acknowledged
  std::uint64_t redelivered = 0;    // delivered more than once, not yet acknowledged
  std::uint64_t ack_floor = 0;      // stream sequence up to which all is acknowledged
  std::uint64_t delivered = 0;      // stream sequence of the last delivery
  std::optional<std::uint64_t> snapshot_sequence{};  // the newest hand-off snapshot's applied sequence
  std::uint64_t snapshot_generation = 0;
};

struct ClusterStatus {
  std::string stream{};
  std::string group{};
  std::uint64_t messages = 0;       // in the observation stream
  std::uint64_t last_sequence = 0;
  std::vector<std::string> members{};  // instances with a live heartbeat, sorted
  std::vector<PartitionStatus> partitions{};

  [[nodiscard]] std::uint64_t pending() const noexcept;
  [[nodiscard]] std::uint64_t ack_pending() const noexcept;
  [[nodiscard]] std::size_t unowned() const noexcept;
  [[nodiscard]] std::size_t owned_by(const std::string& instance) const noexcept;
  // Every partition owned and its consumer present with nothing pending or unacknowledged.
  [[nodiscard]] bool drained() const noexcept;
};

struct ClusterQuery {
  std::string servers{};           // nats:// URLs, comma-separated
  std::string credentials_file{};  // "" for none
  std::string stream = "ANOMSTREAM";
  std::string group = "scorers";
  std::int64_t timeout_ms = 2000;  // each JetStream request
};

std::expected<ClusterStatus, std::string> read_cluster_status(const ClusterQuery& query);

// One JSON object: the stream, the group, "members" (each with the partitions it owns),
// "partitions" (one object each, owner null when unowned, snapshot_sequence null
// without a snapshot) and the totals.
std::string to_json(const ClusterStatus& status);
// A line per partition, then one per member and a summary line.
std::string to_text(const ClusterStatus& status);

}  // namespace anomstream::tools
