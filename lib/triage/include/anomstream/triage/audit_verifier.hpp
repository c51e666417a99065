#pragma once
// Streaming verifier for the HMAC-chained audit log (audit_chain.hpp): feed the log
// line by line (empty lines are ignored); the first problem is kept and later lines are
// not examined. A log continued in further files (rotation, reopen) is fed file after
// file, oldest first, calling start_file() between them: line numbers restart, the
// chain does not.
//
// Keys: one, or several for a log whose key was rotated. The first entry picks the key
// it verifies under; from then on the key changes only at a verified key_rotated entry,
// to the given key whose audit_key_id that entry names (audit_events.hpp). Verified
// audit_recovered and key_rotated entries are collected for the report.
//
// Memory: the keys, plus one record per audit_recovered and key_rotated entry.
// Time: one SHA-256 and one HMAC per entry (one per key at the first entry).
// Errors: create refuses no key or a key shorter than AUDIT_MIN_KEY_BYTES
// (invalid_config); problems in the log are reported by problem(), not as errors.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/triage/audit_chain.hpp"
#include "anomstream/triage/audit_events.hpp"

namespace anomstream::triage {

struct VerifiedKeyRotation {
  std::uint64_t sequence = 0;  // of the key_rotated entry
  AuditKeyRotation rotation;
};

class AuditVerifier {
 public:
  static Result<AuditVerifier> create(std::span<const std::byte> key);
  static Result<AuditVerifier> create(std::span<const std::vector<std::byte>> keys);

  // false once a problem has been found.
  bool feed(std::string_view line);
  // The next line fed is line 1 of the next file.
  void start_file() noexcept { line_number_ = 0; }
  // Call before the first line: the log's earliest files are not given (archived or
  // deleted), so the first entry's sequence and previous MAC are taken as given; its own
  // MAC and everything after it are checked. Without it a chain starts at sequence 1.
  void allow_partial_start() noexcept { partial_start_ = true; }

  [[nodiscard]] bool ok() const noexcept { return problem_.empty(); }
  [[nodiscard]] std::uint64_t entries_verified() const noexcept { return verified_; }
  // 1-based line number (in the current file) of the first bad line (0 when ok), and
  // what is wrong with it: "mac mismatch", "payload digest mismatch", "missing entry:
  // expected sequence N, found M", "previous-mac mismatch", a parse error naming the
  // field, or a key_rotated entry naming a key that was not given.
  [[nodiscard]] std::size_t first_bad_line() const noexcept { return bad_line_; }
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }
  [[nodiscard]] std::uint64_t last_sequence() const noexcept { return expected_sequence_ - 1; }
  // The first verified entry's sequence (0 before one is verified).
  [[nodiscard]] std::uint64_t first_sequence() const noexcept { return first_sequence_; }
  [[nodiscard]] const std::vector<AuditRecovery>& recoveries() const noexcept { return recoveries_; }
  [[nodiscard]] const std::vector<VerifiedKeyRotation>& key_rotations() const noexcept { return rotations_; }

 private:
  static constexpr std::size_t NO_KEY = static_cast<std::size_t>(-1);
  explicit AuditVerifier(std::vector<std::vector<std::byte>> keys);
  bool report(std::string what);
  // Picks the key for the first entry; false if none verifies it.
  bool choose_key(const AuditEntry& entry);
  bool note(const AuditEntry& entry);

  std::vector<std::vector<std::byte>> keys_;
  std::vector<std::string> key_ids_;
  std::size_t key_ = NO_KEY;
  std::uint64_t expected_sequence_ = 1;
  std::uint64_t first_sequence_ = 0;
  bool partial_start_ = false;
  Digest prev_mac_{};
  std::size_t line_number_ = 0;
  std::size_t bad_line_ = 0;
  std::uint64_t verified_ = 0;
  std::string problem_;
  std::vector<AuditRecovery> recoveries_;
  std::vector<VerifiedKeyRotation> rotations_;
};

}  // namespace anomstream::triage
