#pragma once
// The audit chain's cryptography, shared by the writer (AuditChain) and the verifier:
// SHA-256 of payloads and keys, the entry MAC, and a constant-time comparison. Private to
// anomstream::triage.

#include <cstdint>
#include <span>
#include <string_view>

#include "anomstream/triage/audit_chain.hpp"

namespace anomstream::triage::detail {

Digest sha256(std::span<const std::uint8_t> data);
Digest sha256(std::string_view data);

// HMAC-SHA256(key, "anomstream-audit-v1\n" seq "\n" time_ns "\n" kind "\n"
//                  hex(payload_digest) "\n" hex(prev_mac))
Digest entry_mac(std::span<const std::byte> key, std::uint64_t sequence, std::int64_t time_ns,
                 std::string_view kind, const Digest& payload_digest, const Digest& prev_mac);

// The MAC of a parsed entry recomputed under `key` equals the one it carries.
bool entry_verifies(std::span<const std::byte> key, const AuditEntry& entry);

bool digests_equal(const Digest& a, const Digest& b);

// Errors: invalid_config "audit key" when shorter than AUDIT_MIN_KEY_BYTES.
Status check_key(std::span<const std::byte> key);

}  // namespace anomstream::triage::detail
