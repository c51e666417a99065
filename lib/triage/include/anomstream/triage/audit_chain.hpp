#pragma once
// HMAC-chained audit log: tamper evidence for alerts and configuration changes.
//
// Each entry carries a sequence number, a time, a kind, the payload, the payload's
// SHA-256 digest, the previous entry's MAC and its own MAC:
//   mac = HMAC-SHA256(key, "anomstream-audit-v1\n" seq "\n" time_ns "\n" kind "\n"
//                          hex(payload_digest) "\n" hex(prev_mac))
// The first entry's prev_mac is 32 zero bytes. Because every MAC covers the previous
// one, editing, reordering, inserting or deleting any entry breaks verification at that
// entry unless the attacker holds the key. Limits: deleting entries from the *end* of
// the log cannot be seen from the log alone (compare the last sequence number with the
// daemon's `anomstream_audit_entries_total`, or ship entries off-host as they are
// written); the key must stay secret (it is read from a file or environment variable,
// never from the configuration text).
//
// Entries are one JSON object per line (see docs/operations.md). This type formats and
// checks lines; writing them to a file is the caller's job. A writer that can fail
// calls prepare(), writes the line, and commit()s only once the write succeeded, so a
// failed write leaves the chain where it was. A key change (key_rotated, see
// audit_events.hpp) is rekey() after the entry that announces it.
//
// Memory: O(1) beyond the key and the line being formatted.
// Time: one SHA-256 of the payload and one HMAC per entry (~1 µs for a short payload).
// Errors: create/rekey refuse keys shorter than AUDIT_MIN_KEY_BYTES (invalid_config);
// prepare refuses a kind outside [a-z0-9_]{1,64} (invalid_input); resume_after reports
// a line that does not parse (parse_error) or whose MAC does not verify with the key
// (corrupt_snapshot).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::triage {

using Digest = std::array<std::uint8_t, 32>;

inline constexpr std::size_t AUDIT_MIN_KEY_BYTES = 16;
inline constexpr std::size_t AUDIT_MAX_KIND_BYTES = 64;

struct AuditEntry {
  std::uint64_t sequence = 0;
  std::int64_t time_ns = 0;
  std::string kind;
  std::string payload;
  Digest payload_digest{};
  Digest prev_mac{};
  Digest mac{};
};

// An entry formatted against the chain's head but not yet part of the chain.
struct PreparedEntry {
  std::string line;  // the JSON line, without the trailing newline
  std::uint64_t sequence = 0;
  Digest mac{};
};

class AuditChain {
 public:
  // key: at least AUDIT_MIN_KEY_BYTES bytes.
  static Result<AuditChain> create(std::span<const std::byte> key);

  // Continues an existing log: `last_line` is its last entry, checked against the key
  // (its payload digest and MAC).
  Status resume_after(std::string_view last_line);

  // Formats the next entry without advancing the chain.
  // kind: 1..AUDIT_MAX_KIND_BYTES of [a-z0-9_].
  [[nodiscard]] Result<PreparedEntry> prepare(std::int64_t time_ns, std::string_view kind,
                                              std::string_view payload) const;
  // Makes a prepared entry the chain's head (call once its line is written). False, and
  // nothing changes, if the chain has moved since the entry was prepared.
  bool commit(const PreparedEntry& entry) noexcept;

  // prepare + commit: for callers whose write cannot fail. Returns the JSON line
  // (without the trailing newline).
  Result<std::string> append(std::int64_t time_ns, std::string_view kind, std::string_view payload);

  // Entries from the next one on are MACed under `key`; the head is unchanged.
  Status rekey(std::span<const std::byte> key);

  [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_sequence_; }
  [[nodiscard]] const Digest& head_mac() const noexcept { return prev_mac_; }
  // audit_key_id of the key entries are MACed under.
  [[nodiscard]] std::string key_id() const;

 private:
  explicit AuditChain(std::vector<std::byte> key) : key_(std::move(key)) {}
  std::vector<std::byte> key_;
  std::uint64_t next_sequence_ = 1;
  Digest prev_mac_{};
};

// Parses one audit line (no MAC check).
Result<AuditEntry> parse_audit_line(std::string_view line);

// A key's public name: the first 16 hex digits of SHA-256(key). Names keys in
// key_rotated entries and in logs without revealing them.
std::string audit_key_id(std::span<const std::byte> key);

std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace anomstream::triage
