#pragma once
// Pieces the credential files share (the tokens file, the UDP keys file, the metrics
// basic-auth file): hex decoding and the tenants a credential covers.

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <expected>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

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

// Every entry of that list, each parsed by `parse_entry` (YAML node -> expected<T,
// string>); the first refused entry's error is prefixed with the source, its line and
// `key[index]`.
template <class T, class Parse>
std::expected<std::vector<T>, std::string> credential_entries(std::string_view text, std::string_view source,
                                                              const std::string& key, Parse parse_entry) {
  auto list = credential_list(text, source, key);
  if (!list) return std::unexpected(list.error());
  std::vector<T> entries;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const YAML::Node node = (*list)[i];
    auto entry = parse_entry(node);
    if (!entry) {
      return std::unexpected(fmt::format("{}:{}: {}[{}]: {}", source, node.Mark().line + 1, key, i, entry.error()));
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

// A `tenants:` list; an error names what is wrong.
std::expected<TenantScope, std::string> parse_tenant_scope(const YAML::Node& node);

}  // namespace anomstream::daemon
