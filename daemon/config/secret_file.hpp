#pragma once
// Reading a file that holds a secret (an HMAC key, hashed tokens, UDP keys, metrics
// credentials). The configuration names the file; the secret is never in the YAML. The
// rule (PostgreSQL's for its server key): a file the daemon's own user owns must be
// readable by that owner only (mode & 077 == 0); a file root owns may also be read by
// its group (mode & 037 == 0), which is how Kubernetes mounts a secret for a non-root
// container (fsGroup, mode 0440). Anything else is refused, checked on the open
// descriptor (no window between the check and the read).
// Errors: a one-line message naming the setting, the file and, for a loose mode, the mode.

#include <expected>
#include <string>
#include <string_view>

namespace anomstream::daemon {

inline constexpr std::size_t MAX_SECRET_FILE_BYTES = 16 * 1024 * 1024;

std::expected<std::string, std::string> read_secret_file(const std::string& path, std::string_view setting);

}  // namespace anomstream::daemon
