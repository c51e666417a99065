#pragma once
// Keys, log files and a verifier for the audit log tests.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/triage/audit_verifier.hpp"
#include "audit/audit_key.hpp"
#include "audit/audit_log.hpp"
#include "byte_text.hpp"
#include "temp_dir.hpp"

namespace anomstream::daemon::test {

using anomstream::test::bytes_of;
using anomstream::test::TempDir;

inline constexpr auto OWNER_ONLY = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

// Writes `text` as a key file with `perms` and returns its path.
inline std::string write_key(const TempDir& dir, std::string_view name, std::string_view text,
                             std::filesystem::perms perms = OWNER_ONLY) {
  const auto path = dir.write(name, text);
  std::filesystem::permissions(path, perms);
  return path.string();
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void append_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string kind_of(const std::string& line) {
  auto entry = triage::parse_audit_line(line);
  REQUIRE(entry);
  return entry->kind;
}

// Every line of `files`, oldest first, through one verifier.
inline triage::AuditVerifier verify_files(const std::vector<std::string>& files, const std::vector<AuditKey>& keys) {
  auto verifier = triage::AuditVerifier::create(keys);
  REQUIRE(verifier);
  for (const auto& file : files) {
    verifier->start_file();
    for (const auto& line : read_lines(file)) verifier->feed(line);
  }
  return *verifier;
}

// A scratch directory with an owner-only key file and the settings of a log in it.
struct AuditScratch {
  TempDir dir;
  std::string key_text = "unit-test-audit-key-0123456789";
  std::string key = write_key(dir, "audit.key", key_text);
  std::string log = (dir.path() / "audit.log").string();

  [[nodiscard]] AuditSettings settings(AuditFsync fsync = AuditFsync::never) const {
    AuditSettings s;
    s.path = log;
    s.key_file = key;
    s.fsync = fsync;
    return s;
  }
  [[nodiscard]] triage::AuditVerifier verify(const std::vector<std::string>& files = {}) const {
    return verify_files(files.empty() ? std::vector{log} : files, {bytes_of(key_text)});
  }
};

}  // namespace anomstream::daemon::test
