#include "anomstream/triage/audit_chain.hpp"

#include "anomstream/triage/json_text.hpp"
#include "audit_mac.hpp"
#include "flat_json_reader.hpp"

#include <charconv>

namespace anomstream::triage {
namespace {

using detail::digests_equal;

bool valid_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > AUDIT_MAX_KIND_BYTES) return false;
  for (const char c : kind) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool from_hex(std::string_view hex, Digest& out) {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (ec != std::errc() || ptr != hex.data() + 2 * i + 2) return false;
    out[i] = static_cast<std::uint8_t>(v);
  }
  return true;
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char HEX[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const auto b : bytes) {
    out += HEX[b >> 4];
    out += HEX[b & 0xf];
  }
  return out;
}

std::string audit_key_id(std::span<const std::byte> key) {
  const Digest digest =
      detail::sha256(std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()));
  return to_hex(digest).substr(0, 16);
}

Result<AuditEntry> parse_audit_line(std::string_view line) {
  detail::FlatJsonReader r(line);
  AuditEntry entry;
  if (auto s = r.expect('{'); !s) return std::unexpected(s.error());
  static constexpr std::string_view KEYS[] = {"seq", "time_ns", "kind", "payload_sha256",
                                              "prev_mac", "mac", "payload"};
  for (std::size_t i = 0; i < std::size(KEYS); ++i) {
    if (i > 0) {
      if (auto s = r.expect(','); !s) return std::unexpected(s.error());
    }
    auto key = r.string_value();
    if (!key) return std::unexpected(key.error());
    if (*key != KEYS[i]) {
      return fail(ErrorCode::parse_error, std::string(KEYS[i]),
                  "expected key \"" + std::string(KEYS[i]) + "\", found \"" + *key + "\"");
    }
    if (auto s = r.expect(':'); !s) return std::unexpected(s.error());
    if (i <= 1) {
      auto v = r.integer_value();
      if (!v) return std::unexpected(v.error());
      if (i == 0) {
        if (*v < 1) return fail(ErrorCode::parse_error, "seq", "must be >= 1");
        entry.sequence = static_cast<std::uint64_t>(*v);
      } else {
        entry.time_ns = *v;
      }
      continue;
    }
    auto v = r.string_value();
    if (!v) return std::unexpected(v.error());
    Digest* digest = i == 3 ? &entry.payload_digest : i == 4 ? &entry.prev_mac : i == 5 ? &entry.mac : nullptr;
    if (digest != nullptr) {
      if (!from_hex(*v, *digest)) {
        return fail(ErrorCode::parse_error, std::string(KEYS[i]), "must be 64 hex digits");
      }
    } else if (i == 2) {
      entry.kind = std::move(*v);
    } else {
      entry.payload = std::move(*v);
    }
  }
  if (auto s = r.expect('}'); !s) return std::unexpected(s.error());
  if (!r.at_end()) return fail(ErrorCode::parse_error, "line", "text after the closing brace");
  return entry;
}

Result<AuditChain> AuditChain::create(std::span<const std::byte> key) {
  if (auto s = detail::check_key(key); !s) return std::unexpected(s.error());
  return AuditChain(std::vector<std::byte>(key.begin(), key.end()));
}

Status AuditChain::resume_after(std::string_view last_line) {
  auto entry = parse_audit_line(last_line);
  if (!entry) return std::unexpected(entry.error());
  if (!digests_equal(detail::sha256(entry->payload), entry->payload_digest)) {
    return fail(ErrorCode::corrupt_snapshot, "audit log last entry", "payload digest mismatch");
  }
  if (!detail::entry_verifies(key_, *entry)) {
    return fail(ErrorCode::corrupt_snapshot, "audit log last entry",
                "mac does not verify with this key");
  }
  next_sequence_ = entry->sequence + 1;
  prev_mac_ = entry->mac;
  return {};
}

Result<PreparedEntry> AuditChain::prepare(std::int64_t time_ns, std::string_view kind,
                                          std::string_view payload) const {
  if (!valid_kind(kind)) {
    return fail(ErrorCode::invalid_input, "kind",
                "must be 1.." + std::to_string(AUDIT_MAX_KIND_BYTES) + " characters of [a-z0-9_]");
  }
  const Digest digest = detail::sha256(payload);
  PreparedEntry entry;
  entry.sequence = next_sequence_;
  entry.mac = detail::entry_mac(key_, next_sequence_, time_ns, kind, digest, prev_mac_);
  std::string& line = entry.line;
  line.reserve(payload.size() + 300);
  line += "{\"seq\":" + std::to_string(next_sequence_);
  line += ",\"time_ns\":" + std::to_string(time_ns);
  line += ",\"kind\":";
  append_json_string(line, kind);
  line += ",\"payload_sha256\":\"" + to_hex(digest);
  line += "\",\"prev_mac\":\"" + to_hex(prev_mac_);
  line += "\",\"mac\":\"" + to_hex(entry.mac);
  line += "\",\"payload\":";
  append_json_string(line, payload);
  line += '}';
  return entry;
}

bool AuditChain::commit(const PreparedEntry& entry) noexcept {
  if (entry.sequence != next_sequence_) return false;
  ++next_sequence_;
  prev_mac_ = entry.mac;
  return true;
}

Result<std::string> AuditChain::append(std::int64_t time_ns, std::string_view kind,
                                       std::string_view payload) {
  auto entry = prepare(time_ns, kind, payload);
  if (!entry) return std::unexpected(entry.error());
  commit(*entry);
  return std::move(entry->line);
}

Status AuditChain::rekey(std::span<const std::byte> key) {
  if (auto s = detail::check_key(key); !s) return std::unexpected(s.error());
  key_.assign(key.begin(), key.end());
  return {};
}

std::string AuditChain::key_id() const { return audit_key_id(key_); }

}  // namespace anomstream::triage
