#pragma once
// The entries the audit log writes about itself, and their payloads (flat JSON objects),
// shared by the daemon that writes them and the verifier that reports them:
//   audit_recovered  {"event":"audit_recovered","last_good_sequence":N,"torn_bytes":B,
//                     "side_file":"audit.log.torn-1764043200"}
//                    written at start after an incomplete last line (a write cut short
//                    by a crash) was moved aside to side_file and the log cut back to
//                    the entry last_good_sequence (0: to the empty log).
//   key_rotated      {"event":"key_rotated","previous_key_id":"…","new_key_id":"…"}
//                    MACed under the previous key; every later entry is MACed under the
//                    key whose audit_key_id is new_key_id.
//
// Memory: O(payload). Errors: the parsers return parse_error naming the missing or
// malformed member.

#include <cstdint>
#include <string>
#include <string_view>

#include "anomstream/core/error.hpp"

namespace anomstream::triage {

inline constexpr std::string_view AUDIT_KIND_RECOVERED = "audit_recovered";
inline constexpr std::string_view AUDIT_KIND_KEY_ROTATED = "key_rotated";

struct AuditRecovery {
  std::uint64_t last_good_sequence = 0;
  std::uint64_t torn_bytes = 0;
  std::string side_file;  // a file name in the log's directory

  friend bool operator==(const AuditRecovery&, const AuditRecovery&) = default;
};

struct AuditKeyRotation {
  std::string previous_key_id;
  std::string new_key_id;

  friend bool operator==(const AuditKeyRotation&, const AuditKeyRotation&) = default;
};

std::string audit_recovered_payload(const AuditRecovery& recovery);
Result<AuditRecovery> parse_audit_recovered_payload(std::string_view payload);

std::string key_rotated_payload(const AuditKeyRotation& rotation);
Result<AuditKeyRotation> parse_key_rotated_payload(std::string_view payload);

}  // namespace anomstream::triage
