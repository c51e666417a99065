#include "audit/audit_log.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace anomstream::daemon {
namespace {

std::vector<std::byte> to_bytes(std::string_view text) {
  std::vector<std::byte> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<std::byte>(text[i]);
  return out;
}

// The last non-empty line of a file, or "" for an empty or missing file.
std::string last_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace

std::expected<std::vector<std::byte>, std::string> load_audit_key(const AuditSettings& settings) {
  std::string key;
  if (!settings.key_file.empty()) {
    std::ifstream in(settings.key_file, std::ios::binary);
    if (!in) return std::unexpected("audit.key_file: cannot read \"" + settings.key_file + "\"");
    std::stringstream buffer;
    buffer << in.rdbuf();
    key = buffer.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  } else if (!settings.key_env.empty()) {
    const char* value = std::getenv(settings.key_env.c_str());
    if (value == nullptr) {
      return std::unexpected("audit.key_env: environment variable " + settings.key_env + " is not set");
    }
    key = value;
  } else {
    return std::unexpected("audit.path is set but neither audit.key_file nor audit.key_env names a key");
  }
  return to_bytes(key);
}

std::expected<std::unique_ptr<AuditLog>, std::string> AuditLog::open(const AuditSettings& settings) {
  auto key = load_audit_key(settings);
  if (!key) return std::unexpected(key.error());
  auto chain = triage::AuditChain::create(*key);
  if (!chain) return std::unexpected("audit key: " + chain.error().bound);
  const std::string last = last_line(settings.path);
  if (!last.empty()) {
    if (auto resumed = chain->resume_after(last); !resumed) {
      return std::unexpected("audit.path \"" + settings.path + "\": " + resumed.error().field + " " +
                             resumed.error().bound + "; refusing to fork the chain");
    }
  }
  std::FILE* file = std::fopen(settings.path.c_str(), "ab");
  if (file == nullptr) return std::unexpected("audit.path: cannot open \"" + settings.path + "\" for append");
  return std::make_unique<AuditLog>(Token{}, std::move(*chain), file);
}

AuditLog::~AuditLog() {
  if (file_ != nullptr) {
    std::fflush(file_);
    std::fclose(file_);
  }
}

bool AuditLog::append(std::int64_t time_ns, std::string_view kind, std::string_view payload) {
  std::lock_guard lock(mutex_);
  auto line = chain_.append(time_ns, kind, payload);
  if (!line) return false;
  line->push_back('\n');
  return std::fwrite(line->data(), 1, line->size(), file_) == line->size();
}

void AuditLog::flush() {
  std::lock_guard lock(mutex_);
  std::fflush(file_);
}

std::uint64_t AuditLog::next_sequence() {
  std::lock_guard lock(mutex_);
  return chain_.next_sequence();
}

}  // namespace anomstream::daemon
