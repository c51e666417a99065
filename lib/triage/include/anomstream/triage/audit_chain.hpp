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
// checks lines; writing them to a file is the caller's job. Memory: O(1) beyond the line
// being formatted; HMAC cost ~1 µs per entry.

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

class AuditChain {
 public:
  // key: at least AUDIT_MIN_KEY_BYTES bytes.
  static Result<AuditChain> create(std::span<const std::byte> key);

  // Continues an existing log: `last_line` is its last entry, checked against the key.
  Status resume_after(std::string_view last_line);

  // Appends an entry and returns its JSON line (without the trailing newline).
  // kind: 1..AUDIT_MAX_KIND_BYTES of [a-z0-9_].
  Result<std::string> append(std::int64_t time_ns, std::string_view kind, std::string_view payload);

  [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_sequence_; }
  [[nodiscard]] const Digest& head_mac() const noexcept { return prev_mac_; }

 private:
  explicit AuditChain(std::vector<std::byte> key) : key_(std::move(key)) {}
  std::vector<std::byte> key_;
  std::uint64_t next_sequence_ = 1;
  Digest prev_mac_{};
};

// Streaming verifier: feed the log line by line (empty lines are ignored); the first
// problem is kept and later lines are not examined.
class AuditVerifier {
 public:
  static Result<AuditVerifier> create(std::span<const std::byte> key);

  // false once a problem has been found.
  bool feed(std::string_view line);

  [[nodiscard]] bool ok() const noexcept { return problem_.empty(); }
  [[nodiscard]] std::uint64_t entries_verified() const noexcept { return verified_; }
  // 1-based line number of the first bad line (0 when ok), and what is wrong with it:
  // "mac mismatch", "payload digest mismatch", "missing entry: expected sequence N,
  // found M", "previous-mac mismatch", or a parse error naming the field.
  [[nodiscard]] std::size_t first_bad_line() const noexcept { return bad_line_; }
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }
  [[nodiscard]] std::uint64_t last_sequence() const noexcept { return expected_sequence_ - 1; }

 private:
  explicit AuditVerifier(std::vector<std::byte> key) : key_(std::move(key)) {}
  std::vector<std::byte> key_;
  std::uint64_t expected_sequence_ = 1;
  Digest prev_mac_{};
  std::size_t line_number_ = 0;
  std::size_t bad_line_ = 0;
  std::uint64_t verified_ = 0;
  std::string problem_;
};

// Parses one audit line (no MAC check).
Result<AuditEntry> parse_audit_line(std::string_view line);

std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace anomstream::triage
