#include "audit/audit_log.hpp"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdio>

#include "audit/audit_tail.hpp"

namespace anomstream::daemon {
namespace {

// Tries this many numbers past an existing `<path>.NNNNNN` before giving up a rotation.
constexpr int ROTATION_NAME_ATTEMPTS = 16;

}  // namespace

std::optional<AuditFsync> parse_audit_fsync(std::string_view text) {
  if (text == "always") return AuditFsync::always;
  if (text == "interval") return AuditFsync::interval;
  if (text == "never") return AuditFsync::never;
  return std::nullopt;
}

std::string rotated_audit_path(const std::string& path, std::uint64_t n) { return fmt::format("{}.{:06}", path, n); }

AuditLog::AuditLog(Token, AuditSettings settings, AuditHooks hooks, triage::AuditChain chain, AuditFile file,
                   std::uint64_t size, std::uint64_t next_rotation)
    : settings_(std::move(settings)),
      hooks_(std::move(hooks)),
      chain_(std::move(chain)),
      file_(std::move(file)),
      size_(size),
      next_rotation_(next_rotation) {
  if (settings_.fsync == AuditFsync::interval) flusher_ = std::thread([this] { run_flusher(); });
}

AuditLog::~AuditLog() {
  if (flusher_.joinable()) {
    {
      std::lock_guard lock(flusher_mutex_);
      stopping_ = true;
    }
    flusher_wake_.notify_all();
    flusher_.join();
  }
  flush();
}

bool AuditLog::append(std::int64_t time_ns, std::string_view kind, std::string_view payload) {
  std::lock_guard lock(mutex_);
  return append_locked(time_ns, kind, payload);
}

bool AuditLog::append_locked(std::int64_t time_ns, std::string_view kind, std::string_view payload) {
  auto entry = chain_.prepare(time_ns, kind, payload);
  if (!entry) return false;
  entry->line.push_back('\n');
  rotate_if_due_locked(entry->line.size());
  if (auto written = file_.append(entry->line, hooks_.syscalls); !written) {
    record_error_locked(written.error());
    return false;
  }
  chain_.commit(*entry);
  size_ += entry->line.size();
  dirty_ = true;
  if (settings_.fsync == AuditFsync::always) {
    if (auto synced = file_.sync(hooks_.syscalls); !synced) {
      // The entry is in the file (and the chain) but may not survive a power loss.
      record_error_locked(synced.error());
      return true;
    }
    dirty_ = false;
  }
  healthy_.store(true, std::memory_order_relaxed);
  return true;
}

void AuditLog::rotate_if_due_locked(std::size_t next_bytes) {
  if (settings_.rotate_bytes == 0 || size_ == 0 || size_ + next_bytes <= settings_.rotate_bytes) return;
  if (settings_.fsync != AuditFsync::never && dirty_) {
    if (auto synced = file_.sync(hooks_.syscalls); !synced) {
      record_error_locked(synced.error());
      return;  // the entry goes to the current file; the next one tries again
    }
    dirty_ = false;
  }
  const std::string& path = settings_.path;
  std::string target;
  bool renamed = false;
  for (int attempt = 0; attempt < ROTATION_NAME_ATTEMPTS && !renamed; ++attempt) {
    target = rotated_audit_path(path, next_rotation_);
    // Never replace an existing file: it may be an earlier part of the log.
    renamed = ::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0;
    if (!renamed && errno != EEXIST) break;
    if (!renamed) ++next_rotation_;
  }
  std::uint64_t suppressed = 0;
  if (!renamed) {
    const std::string what = errno_text("rename to \"" + target + "\"");
    if (rotate_log_.allow(LogLimiter::Clock::now(), suppressed)) {
      spdlog::warn("event=audit_rotate_failed path=\"{}\" error=\"{}\" suppressed={}", path, what, suppressed);
    }
    return;
  }
  auto fresh = AuditFile::open(path);
  if (!fresh) {
    ::renameat2(AT_FDCWD, target.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
    if (rotate_log_.allow(LogLimiter::Clock::now(), suppressed)) {
      spdlog::warn("event=audit_rotate_failed path=\"{}\" error=\"{}\" suppressed={}", path, fresh.error(),
                   suppressed);
    }
    return;
  }
  if (auto synced = sync_parent_directory(path); !synced) {
    spdlog::warn("event=audit_rotate_sync_failed path=\"{}\" error=\"{}\"", path, synced.error());
  }
  file_ = std::move(*fresh);
  size_ = 0;
  ++next_rotation_;
  spdlog::info("event=audit_rotated path=\"{}\" rotated_to=\"{}\" next_sequence={}", path, target,
               chain_.next_sequence());
}

void AuditLog::record_error_locked(const std::string& what) {
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  if (hooks_.write_errors != nullptr) hooks_.write_errors->Increment();
  healthy_.store(false, std::memory_order_relaxed);
  std::uint64_t suppressed = 0;
  if (error_log_.allow(LogLimiter::Clock::now(), suppressed)) {
    spdlog::error("event=audit_write_error path=\"{}\" next_sequence={} error=\"{}\" suppressed={}", settings_.path,
                  chain_.next_sequence(), what, suppressed);
  }
}

bool AuditLog::sync_if_dirty() {
  int fd = -1;
  {
    std::lock_guard lock(mutex_);
    if (!dirty_) return true;
    // A duplicate, so the sync runs without the lock and survives a rotation meanwhile.
    fd = ::dup(file_.fd());
    if (fd < 0) {
      record_error_locked(errno_text("dup"));
      return false;
    }
    dirty_ = false;
  }
  const int rc = hooks_.syscalls.datasync(fd);
  const std::string what = rc == 0 ? std::string() : errno_text("fdatasync");
  ::close(fd);
  if (rc == 0) return true;
  std::lock_guard lock(mutex_);
  dirty_ = true;
  record_error_locked(what);
  return false;
}

void AuditLog::flush() {
  if (settings_.fsync != AuditFsync::never) sync_if_dirty();
}

void AuditLog::run_flusher() {
  std::unique_lock lock(flusher_mutex_);
  while (!flusher_wake_.wait_for(lock, settings_.fsync_interval, [this] { return stopping_; })) {
    lock.unlock();
    sync_if_dirty();
    lock.lock();
  }
}

std::expected<void, std::string> AuditLog::reopen() {
  std::lock_guard lock(mutex_);
  const std::string& path = settings_.path;
  if (file_.is(path)) {
    spdlog::info("event=audit_reopened path=\"{}\" same_file=true", path);
    return {};
  }
  const std::string keep = "; still writing to the previous file";
  auto tail = read_audit_tail(path);
  if (!tail) return std::unexpected("audit.path: " + tail.error() + keep);
  if (tail->size > 0) {
    auto last = triage::parse_audit_line(tail->last_line);
    if (!tail->torn.empty() || !last || last->sequence + 1 != chain_.next_sequence() ||
        last->mac != chain_.head_mac()) {
      return std::unexpected(fmt::format(
          "audit.path \"{}\" now holds a log that does not end with this chain's last entry (sequence {}){}", path,
          chain_.next_sequence() - 1, keep));
    }
  }
  if (settings_.fsync != AuditFsync::never && dirty_) {
    if (auto synced = file_.sync(hooks_.syscalls); synced) {
      dirty_ = false;
    } else {
      record_error_locked(synced.error());
    }
  }
  auto fresh = AuditFile::open(path);
  if (!fresh) return std::unexpected("audit.path: " + fresh.error() + keep);
  if (auto synced = sync_parent_directory(path); !synced) {
    spdlog::warn("event=audit_reopen_sync_failed path=\"{}\" error=\"{}\"", path, synced.error());
  }
  file_ = std::move(*fresh);
  size_ = tail->size;
  spdlog::info("event=audit_reopened path=\"{}\" same_file=false next_sequence={}", path, chain_.next_sequence());
  return {};
}

std::uint64_t AuditLog::next_sequence() {
  std::lock_guard lock(mutex_);
  return chain_.next_sequence();
}

}  // namespace anomstream::daemon
