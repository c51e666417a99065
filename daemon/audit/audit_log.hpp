#pragma once
// The daemon's audit log: an append-only file of HMAC-chained entries (AuditChain),
// one JSON object per line, written for every alert and every configuration load.
// The key comes from the file or environment variable the configuration names, never
// from the configuration text. An existing log is continued: its last entry must verify
// with the key, otherwise the daemon refuses to start rather than fork the chain.

#include <cstdio>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "anomstream/triage/audit_chain.hpp"

namespace anomstream::daemon {

struct AuditSettings {
  std::string path;
  std::string key_file;
  std::string key_env;
};

// Reads the HMAC key from key_file (trailing newline removed) or key_env.
std::expected<std::vector<std::byte>, std::string> load_audit_key(const AuditSettings& settings);

class AuditLog {
  struct Token {
    explicit Token() = default;
  };

 public:
  static std::expected<std::unique_ptr<AuditLog>, std::string> open(const AuditSettings& settings);
  AuditLog(Token, triage::AuditChain chain, std::FILE* file) : chain_(std::move(chain)), file_(file) {}
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends an entry; false if the write failed (the caller counts it).
  bool append(std::int64_t time_ns, std::string_view kind, std::string_view payload);
  void flush();
  [[nodiscard]] std::uint64_t next_sequence();

 private:
  std::mutex mutex_;
  triage::AuditChain chain_;
  std::FILE* file_;
};

}  // namespace anomstream::daemon
