#include "anomstream/triage/audit_verifier.hpp"

#include "audit_mac.hpp"

namespace anomstream::triage {

AuditVerifier::AuditVerifier(std::vector<std::vector<std::byte>> keys) : keys_(std::move(keys)) {
  for (const auto& key : keys_) key_ids_.push_back(audit_key_id(key));
}

Result<AuditVerifier> AuditVerifier::create(std::span<const std::byte> key) {
  const std::vector<std::byte> copy(key.begin(), key.end());
  return create(std::span(&copy, 1));
}

Result<AuditVerifier> AuditVerifier::create(std::span<const std::vector<std::byte>> keys) {
  if (keys.empty()) return fail(ErrorCode::invalid_config, "audit key", "at least one is needed");
  for (const auto& key : keys) {
    if (auto s = detail::check_key(key); !s) return std::unexpected(s.error());
  }
  return AuditVerifier(std::vector<std::vector<std::byte>>(keys.begin(), keys.end()));
}

bool AuditVerifier::report(std::string what) {
  problem_ = std::move(what);
  bad_line_ = line_number_;
  return false;
}

bool AuditVerifier::choose_key(const AuditEntry& entry) {
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    if (detail::entry_verifies(keys_[k], entry)) {
      key_ = k;
      return true;
    }
  }
  return false;
}

bool AuditVerifier::feed(std::string_view line) {
  if (!problem_.empty()) return false;
  ++line_number_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return true;
  auto entry = parse_audit_line(line);
  if (!entry) return report("unparseable entry: " + entry.error().field + ": " + entry.error().bound);
  const std::string at = " at sequence " + std::to_string(entry->sequence);
  if (partial_start_ && verified_ == 0) {
    expected_sequence_ = entry->sequence;
    prev_mac_ = entry->prev_mac;
  }
  if (entry->sequence != expected_sequence_) {
    return report("missing entry: expected sequence " + std::to_string(expected_sequence_) +
                  ", found " + std::to_string(entry->sequence));
  }
  if (!detail::digests_equal(detail::sha256(entry->payload), entry->payload_digest)) {
    return report("payload digest mismatch" + at);
  }
  if (!detail::digests_equal(entry->prev_mac, prev_mac_)) {
    return report("previous-mac mismatch" + at);
  }
  const bool mac_ok = key_ == NO_KEY ? choose_key(*entry) : detail::entry_verifies(keys_[key_], *entry);
  if (!mac_ok) return report("mac mismatch" + at);
  if (!note(*entry)) return false;
  prev_mac_ = entry->mac;
  if (verified_ == 0) first_sequence_ = entry->sequence;
  ++expected_sequence_;
  ++verified_;
  return true;
}

// Records the entries the log writes about itself, and follows key rotations.
bool AuditVerifier::note(const AuditEntry& entry) {
  const std::string at = " at sequence " + std::to_string(entry.sequence);
  if (entry.kind == AUDIT_KIND_RECOVERED) {
    auto recovery = parse_audit_recovered_payload(entry.payload);
    if (!recovery) return report("audit_recovered" + at + ": " + recovery.error().message());
    recoveries_.push_back(std::move(*recovery));
  } else if (entry.kind == AUDIT_KIND_KEY_ROTATED) {
    auto rotation = parse_key_rotated_payload(entry.payload);
    if (!rotation) return report("key_rotated" + at + ": " + rotation.error().message());
    std::size_t next = NO_KEY;
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      if (key_ids_[k] == rotation->new_key_id) next = k;
    }
    if (next == NO_KEY) {
      return report("key_rotated" + at + " names key id " + rotation->new_key_id +
                    ", which none of the given keys has");
    }
    key_ = next;
    rotations_.push_back({entry.sequence, std::move(*rotation)});
  }
  return true;
}

}  // namespace anomstream::triage
