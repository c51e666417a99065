#include "ingest/credential_text.hpp"

#include <fmt/format.h>

namespace anomstream::daemon {

std::expected<std::string, std::string> decode_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::unexpected("an even number of hex digits");
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::unexpected("hex digits only");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::expected<YAML::Node, std::string> credential_list(std::string_view text, std::string_view source,
                                                       const std::string& key) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return std::unexpected(fmt::format("{}:{}:{}: not YAML: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  const YAML::Node list = doc.IsMap() ? doc[key] : YAML::Node();
  if (!list || !list.IsSequence()) return std::unexpected(fmt::format("{}: expected a list under \"{}\"", source, key));
  if (doc.size() != 1) return std::unexpected(fmt::format("{}: only the key \"{}\" is allowed", source, key));
  return list;
}

std::expected<TenantScope, std::string> parse_tenant_scope(const YAML::Node& node) {
  if (!node || !node.IsSequence() || node.size() == 0) {
    return std::unexpected("tenants: a non-empty list of tenant names, or [\"*\"]");
  }
  TenantScope scope;
  for (const auto& tenant : node) {
    if (!tenant.IsScalar() || tenant.Scalar().empty()) return std::unexpected("tenants: names must be non-empty strings");
    if (tenant.Scalar() == "*") scope.all = true;
    else scope.names.insert(tenant.Scalar());
  }
  return scope;
}

}  // namespace anomstream::daemon
