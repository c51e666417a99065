#pragma once
// Reading the audit HMAC key. The key comes from a file or an environment variable that
// the configuration names, never from the configuration text. A key file that its
// group or others may read (mode & 077) is refused: a leaked key lets anyone forge a
// chain that verifies. Used by the daemon (audit.key_file, audit.previous_key_file) and
// by `anomstreamctl audit verify`.
//
// Memory: the key. Errors: a one-line message naming the setting, the file and, for a
// readable key file, its mode.

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace anomstream::daemon {

using AuditKey = std::vector<std::byte>;

// The key in `path` (a trailing newline removed); `setting` names it in errors
// ("audit.key_file", "--key-file").
std::expected<AuditKey, std::string> read_audit_key_file(const std::string& path, std::string_view setting);

// From key_file if set, else from the environment variable key_env.
std::expected<AuditKey, std::string> load_audit_key(const std::string& key_file, const std::string& key_env);

}  // namespace anomstream::daemon
