#include "audit/audit_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string_view>

#include "anomstream/triage/audit_chain.hpp"
#include "audit/audit_file.hpp"

namespace anomstream::daemon {
namespace {

constexpr std::uint64_t FIRST_WINDOW_BYTES = 64 << 10;

class ReadOnlyFd {
 public:
  explicit ReadOnlyFd(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~ReadOnlyFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ReadOnlyFd(const ReadOnlyFd&) = delete;
  ReadOnlyFd& operator=(const ReadOnlyFd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

bool read_at(int fd, std::uint64_t offset, std::string& out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Classifies the window [start, size) of the file; false if it does not reach back far
// enough to decide (a line it needs starts before the window).
bool classify(std::string_view window, std::uint64_t start, AuditTail& tail) {
  const bool at_file_start = start == 0;
  const auto last_newline = window.rfind('\n');
  if (last_newline == std::string_view::npos) {
    if (!at_file_start) return false;
    tail.good_bytes = 0;  // not one complete line: all of it is torn
    return true;
  }
  // Start of the last complete line, and of the line before it.
  const auto line_start = [&](std::size_t end) -> std::optional<std::size_t> {
    const auto before = end == 0 ? std::string_view::npos : window.rfind('\n', end - 1);
    if (before != std::string_view::npos) return before + 1;
    if (at_file_start) return 0;
    return std::nullopt;
  };
  const auto last_start = line_start(last_newline);
  if (!last_start) return false;
  const std::string_view last = window.substr(*last_start, last_newline - *last_start);
  if (triage::parse_audit_line(last)) {
    tail.good_bytes = start + last_newline + 1;
    tail.last_line = std::string(last);
    return true;
  }
  // The last complete line is not an entry: it is torn too, and the line before it kept.
  if (*last_start == 0) {
    if (!at_file_start) return false;
    tail.good_bytes = 0;
    return true;
  }
  const auto previous_start = line_start(*last_start - 1);
  if (!previous_start) return false;
  tail.good_bytes = start + *last_start;
  tail.last_line = std::string(window.substr(*previous_start, *last_start - 1 - *previous_start));
  return true;
}

}  // namespace

std::expected<AuditTail, std::string> read_audit_tail(const std::string& path) {
  AuditTail tail;
  ReadOnlyFd fd(path);
  if (fd.get() < 0) {
    if (errno == ENOENT) return tail;
    return std::unexpected(errno_text("cannot read \"" + path + "\""));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return std::unexpected(errno_text("fstat \"" + path + "\""));
  tail.size = static_cast<std::uint64_t>(st.st_size);
  if (tail.size == 0) return tail;
  for (std::uint64_t window = std::min(tail.size, FIRST_WINDOW_BYTES);; window = std::min(tail.size, window * 2)) {
    if (window > AUDIT_TAIL_MAX_BYTES) {
      return std::unexpected("\"" + path + "\": its last lines are longer than " +
                             std::to_string(AUDIT_TAIL_MAX_BYTES) + " bytes");
    }
    const std::uint64_t start = tail.size - window;
    std::string bytes(window, '\0');
    if (!read_at(fd.get(), start, bytes)) return std::unexpected(errno_text("cannot read \"" + path + "\""));
    if (classify(bytes, start, tail)) {
      tail.torn = bytes.substr(tail.good_bytes - start);
      return tail;
    }
  }
}

}  // namespace anomstream::daemon
