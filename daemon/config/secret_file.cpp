#include "config/secret_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace anomstream::daemon {

std::expected<std::string, std::string> read_secret_file(const std::string& path, std::string_view setting) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(fmt::format("{}: cannot read \"{}\": {}", setting, path, std::strerror(errno)));
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return std::unexpected(fmt::format("{}: cannot read \"{}\": {}", setting, path, std::strerror(error)));
  }
  const bool root_owned_group_read = st.st_uid == 0 && ::geteuid() != 0 && (st.st_mode & 037) == 0;
  if ((st.st_mode & 077) != 0 && !root_owned_group_read) {
    ::close(fd);
    return std::unexpected(fmt::format(
        "{}: \"{}\" has mode {:04o}, which lets its group or others read it; make it readable by its owner only "
        "(chmod 600), or owned by root and readable by its group only (chmod 640)",
        setting, path, st.st_mode & 07777));
  }
  if (!S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > MAX_SECRET_FILE_BYTES) {
    ::close(fd);
    return std::unexpected(fmt::format("{}: \"{}\" is not a regular file of at most {} bytes", setting, path,
                                       MAX_SECRET_FILE_BYTES));
  }
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return std::unexpected(fmt::format("{}: cannot read \"{}\": {}", setting, path, std::strerror(error)));
    }
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > MAX_SECRET_FILE_BYTES) break;
  }
  ::close(fd);
  return text;
}

}  // namespace anomstream::daemon
