#pragma once
// Reading a file that holds a secret (an HMAC key, hashed tokens, UDP keys, metrics
// credentials). The configuration names the file; the secret is never in the YAML. A file
// its group or others may read or write (mode & 077) is refused, checked on the open
// descriptor (no window between the check and the read).
// Errors: a one-line message naming the setting, the file and, for a loose mode, the mode.

#include <expected>
#include <string>
#include <string_view>

namespace anomstream::daemon {

inline constexpr std::size_t MAX_SECRET_FILE_BYTES = 16 * 1024 * 1024;

std::expected<std::string, std::string> read_secret_file(const std::string& path, std::string_view setting);

}  // namespace anomstream::daemon
