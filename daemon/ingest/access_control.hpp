#pragma once
// Who may do what over gRPC: bearer tokens (`authorization: Bearer <token>` metadata),
// each granted a set of tenants (or every tenant, "*") and actions:
//   write     Observe, ObserveBatch for the granted tenants
//   watch     WatchAlerts of the granted tenants (all tenants needs "*")
//   feedback  SubmitFeedback on the granted tenants' alerts
// GetStatus needs any valid token; the health service needs none. The tokens file
// (server.grpc.auth.tokens_file) stores no token, only its SHA-256:
//   tokens:
//     - sha256: <64 hex digits: SHA-256 of the token>
//       tenants: [tenant-a, tenant-b]     # or ["*"]
//       may: [write, watch, feedback]
// It is refused when its group or others may read it, re-read on reload (an invalid
// file keeps the previous table), and checked whole: every problem names the entry and
// field. A presented token is hashed and looked up; digests are compared in constant
// time. With no tokens file, access is open (the daemon then refuses a non-loopback
// gRPC listener without TLS unless server.allow_insecure_remote).
// Memory: one entry per token (its digest, tenant names, actions).
// Time: one SHA-256 of the token and one hash lookup per call; a tenant check per
// observation is one hash-set lookup.

#include <grpcpp/grpcpp.h>

#include "ingest/credential_text.hpp"

#include <array>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace anomstream::daemon {

enum class Action : std::uint8_t { write = 1, watch = 2, feedback = 4 };

struct Grant {
  std::array<std::uint8_t, 32> digest{};
  TenantScope tenants;
  std::uint8_t actions = 0;

  [[nodiscard]] bool may(Action a) const noexcept { return (actions & static_cast<std::uint8_t>(a)) != 0; }
  [[nodiscard]] bool covers(std::string_view tenant) const { return tenants.covers(tenant); }
};

class TokenTable {
 public:
  // Parses a tokens file's text (`source` names it in errors).
  static std::expected<TokenTable, std::string> parse(std::string_view text, std::string_view source);
  // Reads (mode-checked) and parses the file.
  static std::expected<TokenTable, std::string> load(const std::string& path);

  // The grant of a presented token, or nullptr.
  [[nodiscard]] const Grant* find(std::string_view token) const;
  [[nodiscard]] std::size_t size() const noexcept { return grants_.size(); }

 private:
  std::vector<Grant> grants_;
};

class AccessControl {
 public:
  // Empty path: access is open.
  static std::expected<std::unique_ptr<AccessControl>, std::string> open(const std::string& tokens_file);

  [[nodiscard]] bool enabled() const noexcept { return !path_.empty(); }
  // Re-reads the tokens file; on error the previous table stays.
  std::expected<void, std::string> reload();

  // Who is calling: `open` when access is open; else the grant of a valid token, or
  // status UNAUTHENTICATED and no grant.
  struct Caller {
    grpc::Status status;
    bool open = false;
    std::shared_ptr<const TokenTable> table;  // keeps `grant` alive for the call
    const Grant* grant = nullptr;
    // Whether this caller may do `action` on `tenant`.
    [[nodiscard]] bool allows(Action action, std::string_view tenant) const {
      return open || (grant != nullptr && grant->may(action) && grant->covers(tenant));
    }
    [[nodiscard]] bool may(Action action) const { return open || (grant != nullptr && grant->may(action)); }
    [[nodiscard]] bool all_tenants() const { return open || (grant != nullptr && grant->tenants.all); }
  };
  [[nodiscard]] Caller authenticate(const grpc::ServerContext& context) const;

 private:
  explicit AccessControl(std::string path) : path_(std::move(path)) {}
  std::string path_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TokenTable> table_;
};

}  // namespace anomstream::daemon
