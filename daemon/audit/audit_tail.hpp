#pragma once
// How an audit log ends, read from the end of the file. Entries are written with one
// write(2) each, so a crash (kill -9 mid-write, power loss) can leave at most a torn
// last line: bytes after the last newline, or a last complete line that is not an
// entry at all (zeros a filesystem left after power loss). That tail is what
// read_audit_tail reports as torn; everything before it is kept. Only the last line can
// be torn: a line before it that is not an entry is damage, not a crash, and the daemon
// refuses to continue such a log. The daemon moves a torn tail aside at start; `audit
// verify` reports it.
//
// Memory: the last two lines and the torn bytes (read in doubling windows from 64 KiB,
// up to AUDIT_TAIL_MAX_BYTES). Errors: the file cannot be read, or its last lines exceed
// AUDIT_TAIL_MAX_BYTES.

#include <cstdint>
#include <expected>
#include <string>

namespace anomstream::daemon {

inline constexpr std::uint64_t AUDIT_TAIL_MAX_BYTES = 256ull << 20;

struct AuditTail {
  std::uint64_t size = 0;        // the file's size when read
  std::uint64_t good_bytes = 0;  // the kept prefix: up to and including the last kept line's newline
  std::string last_line;         // the last kept line, without its newline ("" when none is kept)
  std::string torn;              // the torn tail: the bytes from good_bytes to size
};

// A missing file reads as empty.
std::expected<AuditTail, std::string> read_audit_tail(const std::string& path);

}  // namespace anomstream::daemon
