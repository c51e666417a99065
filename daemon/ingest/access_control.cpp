#include "ingest/access_control.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <yaml-cpp/yaml.h>

#include "config/secret_file.hpp"
#include "persist/state_file.hpp"

namespace anomstream::daemon {
namespace {

constexpr std::string_view BEARER = "Bearer ";

std::expected<std::array<std::uint8_t, 32>, std::string> parse_digest(const std::string& hex) {
  auto bytes = decode_hex(hex);
  if (!bytes || bytes->size() != 32) return std::unexpected("64 hex digits (the SHA-256 of the token)");
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>((*bytes)[i]);
  return out;
}

std::expected<Grant, std::string> parse_grant(const YAML::Node& node) {
  if (!node.IsMap()) return std::unexpected("a map with sha256, tenants and may");
  Grant grant;
  for (const auto& field : node) {
    const std::string key = field.first.IsScalar() ? field.first.Scalar() : "?";
    if (key != "sha256" && key != "tenants" && key != "may") {
      return std::unexpected(fmt::format("unknown field \"{}\" (sha256, tenants, may)", key));
    }
  }
  const YAML::Node digest = node["sha256"];
  if (!digest || !digest.IsScalar()) return std::unexpected("sha256: 64 hex digits (the SHA-256 of the token)");
  auto parsed = parse_digest(digest.Scalar());
  if (!parsed) return std::unexpected("sha256: " + parsed.error());
  grant.digest = *parsed;
  auto tenants = parse_tenant_scope(node["tenants"]);
  if (!tenants) return std::unexpected(tenants.error());
  grant.tenants = std::move(*tenants);
  const YAML::Node may = node["may"];
  if (!may || !may.IsSequence() || may.size() == 0) {
    return std::unexpected("may: a non-empty list of write, watch, feedback");
  }
  for (const auto& action : may) {
    const std::string name = action.IsScalar() ? action.Scalar() : "";
    if (name == "write") grant.actions |= static_cast<std::uint8_t>(Action::write);
    else if (name == "watch") grant.actions |= static_cast<std::uint8_t>(Action::watch);
    else if (name == "feedback") grant.actions |= static_cast<std::uint8_t>(Action::feedback);
    else return std::unexpected(fmt::format("may: \"{}\" is not one of write, watch, feedback", name));
  }
  return grant;
}

}  // namespace

std::expected<TokenTable, std::string> TokenTable::parse(std::string_view text, std::string_view source) {
  auto grants = credential_entries<Grant>(text, source, "tokens", parse_grant);
  if (!grants) return std::unexpected(grants.error());
  for (std::size_t i = 0; i < grants->size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if ((*grants)[j].digest == (*grants)[i].digest) {
        return std::unexpected(fmt::format("{}: tokens[{}]: the same token is listed twice", source, i));
      }
    }
  }
  TokenTable table;
  table.grants_ = std::move(*grants);
  return table;
}

std::expected<TokenTable, std::string> TokenTable::load(const std::string& path) {
  auto text = read_secret_file(path, "server.grpc.auth.tokens_file");
  if (!text) return std::unexpected(text.error());
  return parse(*text, path);
}

const Grant* TokenTable::find(std::string_view token) const {
  const auto digest = sha256(token);
  const Grant* found = nullptr;
  // Every entry is compared, in constant time, so timing tells nothing about the table.
  for (const auto& grant : grants_) {
    if (CRYPTO_memcmp(grant.digest.data(), digest.data(), digest.size()) == 0) found = &grant;
  }
  return found;
}

std::expected<std::unique_ptr<AccessControl>, std::string> AccessControl::open(const std::string& tokens_file) {
  std::unique_ptr<AccessControl> access(new AccessControl(tokens_file));
  if (tokens_file.empty()) return access;
  if (auto loaded = access->reload(); !loaded) return std::unexpected(loaded.error());
  return access;
}

std::expected<void, std::string> AccessControl::reload() {
  if (path_.empty()) return {};
  auto table = TokenTable::load(path_);
  if (!table) return std::unexpected(table.error());
  auto shared = std::make_shared<const TokenTable>(std::move(*table));
  std::lock_guard lock(mutex_);
  table_ = std::move(shared);
  return {};
}

AccessControl::Caller AccessControl::authenticate(const grpc::ServerContext& context) const {
  Caller caller;
  if (path_.empty()) {
    caller.open = true;
    return caller;
  }
  {
    std::lock_guard lock(mutex_);
    caller.table = table_;
  }
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    caller.status = {grpc::StatusCode::UNAUTHENTICATED, "authorization: a bearer token is required"};
    return caller;
  }
  const std::string_view value(it->second.data(), it->second.size());
  if (!value.starts_with(BEARER)) {
    caller.status = {grpc::StatusCode::UNAUTHENTICATED, "authorization: expected \"Bearer <token>\""};
    return caller;
  }
  caller.grant = caller.table->find(value.substr(BEARER.size()));
  if (caller.grant == nullptr) {
    caller.status = {grpc::StatusCode::UNAUTHENTICATED, "authorization: unknown token"};
  }
  return caller;
}

}  // namespace anomstream::daemon
