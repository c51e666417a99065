#pragma once
// Pieces the credential files share (the tokens file, the UDP keys file, the metrics
// basic-auth file): hex decoding and the tenants a credential covers.

#include <yaml-cpp/yaml.h>

#include <expected>
#include <string>
#include <string_view>
#include <unordered_set>

namespace anomstream::daemon {

// Bytes from hex digits (either case); an error says what was expected.
std::expected<std::string, std::string> decode_hex(std::string_view hex);

// The tenants a credential covers: a list of names, or ["*"] for every tenant.
struct TenantScope {
  bool all = false;
  std::unordered_set<std::string> names;
  [[nodiscard]] bool covers(std::string_view tenant) const { return all || names.contains(std::string(tenant)); }
};

// The list under `key`, the only key of the YAML document `text` (`source` in errors).
std::expected<YAML::Node, std::string> credential_list(std::string_view text, std::string_view source,
                                                       const std::string& key);

// A `tenants:` list; an error names what is wrong.
std::expected<TenantScope, std::string> parse_tenant_scope(const YAML::Node& node);

}  // namespace anomstream::daemon
