#include "audit/audit_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace anomstream::daemon {

std::string errno_text(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

std::expected<AuditFile, std::string> AuditFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(errno_text("cannot open \"" + path + "\" for append"));
  return AuditFile(fd);
}

AuditFile::AuditFile(AuditFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), cut_back_to_(other.cut_back_to_) {}

AuditFile& AuditFile::operator=(AuditFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    cut_back_to_ = other.cut_back_to_;
  }
  return *this;
}

AuditFile::~AuditFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, std::string> AuditFile::cut_back_pending() {
  if (!cut_back_to_) return {};
  auto current = size();
  if (!current) return std::unexpected(current.error());
  // A file truncated under us (copytruncate) is already shorter: never extend it.
  if (*current > *cut_back_to_ && ::ftruncate(fd_, static_cast<off_t>(*cut_back_to_)) != 0) {
    return std::unexpected(errno_text("cannot cut back an earlier short write: ftruncate"));
  }
  cut_back_to_.reset();
  return {};
}

std::expected<void, std::string> AuditFile::append(std::string_view bytes, const AuditSyscalls& sys) {
  if (auto cut = cut_back_pending(); !cut) return cut;
  ssize_t written = 0;
  do {
    written = sys.write(fd_, bytes.data(), bytes.size());
  } while (written < 0 && errno == EINTR);
  if (written < 0) return std::unexpected(errno_text("write"));
  if (static_cast<std::size_t>(written) == bytes.size()) return {};
  std::string message = "short write (" + std::to_string(written) + " of " + std::to_string(bytes.size()) +
                        " bytes)";
  if (written > 0) {
    // O_APPEND: the partial bytes are the file's last `written` bytes.
    if (auto current = size(); current && *current >= static_cast<std::uint64_t>(written)) {
      cut_back_to_ = *current - static_cast<std::uint64_t>(written);
      if (auto cut = cut_back_pending(); !cut) message += "; " + cut.error();
    }
  }
  return std::unexpected(message);
}

std::expected<void, std::string> AuditFile::sync(const AuditSyscalls& sys) const {
  if (sys.datasync(fd_) != 0) return std::unexpected(errno_text("fdatasync"));
  return {};
}

std::expected<std::uint64_t, std::string> AuditFile::size() const {
  struct stat st{};
  if (::fstat(fd_, &st) != 0) return std::unexpected(errno_text("fstat"));
  return static_cast<std::uint64_t>(st.st_size);
}

std::expected<void, std::string> AuditFile::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return std::unexpected(errno_text("ftruncate"));
  return {};
}

bool AuditFile::is(const std::string& path) const {
  struct stat mine{}, theirs{};
  return ::fstat(fd_, &mine) == 0 && ::stat(path.c_str(), &theirs) == 0 && mine.st_dev == theirs.st_dev &&
         mine.st_ino == theirs.st_ino;
}

std::expected<void, std::string> sync_parent_directory(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(errno_text("cannot open directory \"" + parent.string() + "\""));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return std::unexpected(errno_text("fsync of directory \"" + parent.string() + "\""));
  return {};
}

}  // namespace anomstream::daemon
