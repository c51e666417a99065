#pragma once
// One audit log file open for appending (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
// mode 0600), written without any user-space buffer: each entry is one write(2) of its
// whole line, so what a successful append wrote is in the kernel's page cache and
// survives the process being killed. A short write is cut back (ftruncate) so that the
// file never holds half a line from a failed write once the disk has room again; if the
// cut itself fails, the next append retries it before writing.
//
// Memory: O(1). Errors: the failing call and strerror(errno), as one line.

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace anomstream::daemon {

// The system calls the audit log writes and syncs with; tests replace them to make
// them fail (ENOSPC, EIO, short writes) or to count syncs.
struct AuditSyscalls {
  std::function<ssize_t(int, const void*, std::size_t)> write = ::write;
  std::function<int(int)> datasync = ::fdatasync;
};

class AuditFile {
 public:
  static std::expected<AuditFile, std::string> open(const std::string& path);
  AuditFile(AuditFile&& other) noexcept;
  AuditFile& operator=(AuditFile&& other) noexcept;
  AuditFile(const AuditFile&) = delete;
  AuditFile& operator=(const AuditFile&) = delete;
  ~AuditFile();

  // One write of `bytes` at the end of the file; on failure nothing of it stays behind
  // (unless cutting it back failed too, see above).
  std::expected<void, std::string> append(std::string_view bytes, const AuditSyscalls& sys);
  std::expected<void, std::string> sync(const AuditSyscalls& sys) const;
  std::expected<std::uint64_t, std::string> size() const;
  std::expected<void, std::string> truncate(std::uint64_t size);
  // Whether `path` names this very file (same device and inode).
  [[nodiscard]] bool is(const std::string& path) const;
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  explicit AuditFile(int fd) : fd_(fd) {}
  std::expected<void, std::string> cut_back_pending();

  int fd_ = -1;
  std::optional<std::uint64_t> cut_back_to_;  // a short write not yet cut back
};

// fsync of the directory holding `path`, so a created or renamed file's name is durable.
std::expected<void, std::string> sync_parent_directory(const std::string& path);

// "what: strerror(errno)".
std::string errno_text(std::string_view what);

}  // namespace anomstream::daemon
