#include "audit/audit_key.hpp"

#include <cstdlib>

#include "config/secret_file.hpp"

namespace anomstream::daemon {
namespace {

AuditKey to_bytes(std::string_view text) {
  AuditKey out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

}  // namespace

std::expected<AuditKey, std::string> read_audit_key_file(const std::string& path, std::string_view setting) {
  auto text = read_secret_file(path, setting);
  if (!text) return std::unexpected(text.error());
  std::string key = std::move(*text);
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  return to_bytes(key);
}

std::expected<AuditKey, std::string> load_audit_key(const std::string& key_file, const std::string& key_env) {
  if (!key_file.empty()) return read_audit_key_file(key_file, "audit.key_file");
  if (key_env.empty()) {
    return std::unexpected("audit.path is set but neither audit.key_file nor audit.key_env names a key");
  }
  const char* value = std::getenv(key_env.c_str());
  if (value == nullptr) {
    return std::unexpected("audit.key_env: environment variable " + key_env + " is not set");
  }
  return to_bytes(value);
}

}  // namespace anomstream::daemon
