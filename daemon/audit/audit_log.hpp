#pragma once
// The daemon's audit log: an append-only file of HMAC-chained entries (AuditChain),
// one JSON object per line, written for every alert, feedback verdict, start and stop.
// See docs/operations.md "Audit log" for the format, the fsync modes and their loss
// windows, recovery, rotation and key rotation.
//
// Writing: each entry is one write(2) of its whole line on an O_APPEND descriptor (no
// user-space buffer); the chain advances only once that write fully succeeded, and a
// short write is cut back, so a failed write leaves both the file and the chain where
// they were and the log verifies again once the disk has room. Durability follows
// audit.fsync: `always` fdatasyncs after every entry, `interval` from a flusher thread
// at most audit.fsync_interval_ms after an entry, `never` leaves it to the kernel.
//
// Start (open): the key comes from audit.key_file or audit.key_env. An existing log is
// continued after its last entry, which must verify with the key; if it verifies with
// audit.previous_key_file instead, a key_rotated entry is appended under that old key
// and the chain continues under the new one. A torn last line (a write cut short by a
// crash) is moved aside to `<path>.torn-<unix seconds>`, the log cut back to its last
// good entry and an audit_recovered entry appended. A last entry that parses but does
// not verify is tampering or the wrong key: open refuses rather than fork the chain.
// A missing or empty log continues the chain of the newest rotated file
// `<path>.NNNNNN`, if there is one.
//
// Rotation: with audit.rotate_bytes > 0, an entry that would take the file past it
// first renames the file to `<path>.NNNNNN` (000001, 000002, ... oldest first) and
// starts a new one, where the chain continues. reopen() (SIGHUP, after logrotate)
// continues the chain in whatever new file is now at the path.
//
// Thread-safety: every member may be called from any thread.
// Memory: O(1) besides the entry being written (the flusher is one thread).
// Errors: open returns a one-line reason naming the setting or file; append returns
// false (counted in anomstream_audit_write_errors_total when the write or sync failed,
// and healthy() turns false until an entry is written again); reopen returns a reason
// and keeps writing to the file it had.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "anomstream/triage/audit_chain.hpp"
#include "audit/audit_file.hpp"
#include "audit/audit_key.hpp"
#include "worker/log_limiter.hpp"

namespace prometheus {
class Counter;
}

namespace anomstream::daemon {

enum class AuditFsync : std::uint8_t { always, interval, never };
std::optional<AuditFsync> parse_audit_fsync(std::string_view text);

struct AuditSettings {
  std::string path;
  std::string key_file;
  std::string key_env;
  std::string previous_key_file;  // optional: the key the existing log was written under
  AuditFsync fsync = AuditFsync::interval;
  std::chrono::milliseconds fsync_interval{1000};
  std::uint64_t rotate_bytes = 0;  // 0: never rotate
};

// What the log reports to and calls, besides its settings.
struct AuditHooks {
  prometheus::Counter* write_errors = nullptr;  // anomstream_audit_write_errors_total
  AuditSyscalls syscalls;
};

// `<path>.NNNNNN`, the name of the n-th rotated file.
std::string rotated_audit_path(const std::string& path, std::uint64_t n);

class AuditLog {
  struct Token {
    explicit Token() = default;
  };

 public:
  static std::expected<std::unique_ptr<AuditLog>, std::string> open(const AuditSettings& settings,
                                                                    AuditHooks hooks = {});
  AuditLog(Token, AuditSettings settings, AuditHooks hooks, triage::AuditChain chain, AuditFile file,
           std::uint64_t size, std::uint64_t next_rotation);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends an entry; false if it was not written (the chain did not advance).
  bool append(std::int64_t time_ns, std::string_view kind, std::string_view payload);
  // fdatasync of what is not yet synced (modes always and interval; never: nothing).
  void flush();
  // Closes and reopens audit.path; the chain continues in the file now there, which
  // must be new, empty, or end with this chain's last entry.
  std::expected<void, std::string> reopen();

  // False after a failed write or sync, until an entry is written again.
  [[nodiscard]] bool healthy() const noexcept { return healthy_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t write_errors() const noexcept { return write_errors_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t next_sequence();

 private:
  bool append_locked(std::int64_t time_ns, std::string_view kind, std::string_view payload);
  void rotate_if_due_locked(std::size_t next_bytes);
  void record_error_locked(const std::string& what);
  bool sync_if_dirty();
  void run_flusher();

  const AuditSettings settings_;
  const AuditHooks hooks_;
  std::mutex mutex_;
  triage::AuditChain chain_;
  AuditFile file_;
  std::uint64_t size_ = 0;
  std::uint64_t next_rotation_ = 1;
  bool dirty_ = false;  // written but not yet synced
  LogLimiter error_log_{10, std::chrono::seconds(10)};
  LogLimiter rotate_log_{10, std::chrono::seconds(10)};
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> write_errors_{0};

  std::mutex flusher_mutex_;
  std::condition_variable flusher_wake_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace anomstream::daemon
