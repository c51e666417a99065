#include "anomstream/triage/audit_chain.hpp"

#include "anomstream/triage/json_text.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace anomstream::triage {
namespace {

constexpr std::string_view MAC_DOMAIN = "anomstream-audit-v1\n";

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Digest entry_mac(std::span<const std::byte> key, std::uint64_t sequence, std::int64_t time_ns,
                 std::string_view kind, const Digest& payload_digest, const Digest& prev_mac) {
  std::string message(MAC_DOMAIN);
  message += std::to_string(sequence);
  message += '\n';
  message += std::to_string(time_ns);
  message += '\n';
  message += kind;
  message += '\n';
  message += to_hex(payload_digest);
  message += '\n';
  message += to_hex(prev_mac);
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

bool digests_equal(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool valid_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > AUDIT_MAX_KIND_BYTES) return false;
  for (const char c : kind) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// A minimal reader for the flat JSON objects this file writes: string and integer
// values only. Anything else is a parse error naming the position.
class FlatJsonReader {
 public:
  explicit FlatJsonReader(std::string_view text) : text_(text) {}

  Status expect(char c) {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != c) {
      return error(std::string("expected '") + c + "'");
    }
    ++pos_;
    return {};
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  Result<std::string> string_value() {
    if (auto s = expect('"'); !s) return std::unexpected(s.error());
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return error_value("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return std::unexpected(cp.error());
          std::uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
              return error_value("unpaired surrogate");
            }
            pos_ += 2;
            auto low = hex4();
            if (!low || *low < 0xDC00 || *low > 0xDFFF) return error_value("unpaired surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return error_value("unpaired surrogate");
          }
          append_utf8(out, code);
          break;
        }
        default: return error_value("bad escape");
      }
    }
    return error_value("unterminated string");
  }
  Result<std::int64_t> integer_value() {
    skip_space();
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), v);
    if (ec != std::errc()) return error_value("expected an integer");
    pos_ = static_cast<std::size_t>(ptr - text_.data());
    return v;
  }
  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  std::unexpected<Error> error(const std::string& what) const {
    return fail(ErrorCode::parse_error, "column " + std::to_string(pos_ + 1), what);
  }
  template <class T = std::string>
  std::unexpected<Error> error_value(const std::string& what) const {
    return error(what);
  }
  Result<std::uint32_t> hex4() {
    if (pos_ + 4 > text_.size()) return error_value("short \\u escape");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return error_value("bad \\u escape");
    }
    return v;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

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

Status check_key(std::span<const std::byte> key) {
  if (key.size() < AUDIT_MIN_KEY_BYTES) {
    return fail(ErrorCode::invalid_config, "audit key",
                "must be at least " + std::to_string(AUDIT_MIN_KEY_BYTES) + " bytes (got " +
                    std::to_string(key.size()) + ")");
  }
  return {};
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

Result<AuditEntry> parse_audit_line(std::string_view line) {
  FlatJsonReader r(line);
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
  if (auto s = check_key(key); !s) return std::unexpected(s.error());
  return AuditChain(std::vector<std::byte>(key.begin(), key.end()));
}

Status AuditChain::resume_after(std::string_view last_line) {
  auto entry = parse_audit_line(last_line);
  if (!entry) return std::unexpected(entry.error());
  const Digest mac = entry_mac(key_, entry->sequence, entry->time_ns, entry->kind,
                               entry->payload_digest, entry->prev_mac);
  if (!digests_equal(mac, entry->mac)) {
    return fail(ErrorCode::corrupt_snapshot, "audit log last entry",
                "mac does not verify with this key");
  }
  next_sequence_ = entry->sequence + 1;
  prev_mac_ = entry->mac;
  return {};
}

Result<std::string> AuditChain::append(std::int64_t time_ns, std::string_view kind,
                                       std::string_view payload) {
  if (!valid_kind(kind)) {
    return fail(ErrorCode::invalid_input, "kind",
                "must be 1.." + std::to_string(AUDIT_MAX_KIND_BYTES) + " characters of [a-z0-9_]");
  }
  const Digest digest = sha256(payload);
  const Digest mac = entry_mac(key_, next_sequence_, time_ns, kind, digest, prev_mac_);
  std::string line;
  line.reserve(payload.size() + 300);
  line += "{\"seq\":" + std::to_string(next_sequence_);
  line += ",\"time_ns\":" + std::to_string(time_ns);
  line += ",\"kind\":";
  append_json_string(line, kind);
  line += ",\"payload_sha256\":\"" + to_hex(digest);
  line += "\",\"prev_mac\":\"" + to_hex(prev_mac_);
  line += "\",\"mac\":\"" + to_hex(mac);
  line += "\",\"payload\":";
  append_json_string(line, payload);
  line += '}';
  ++next_sequence_;
  prev_mac_ = mac;
  return line;
}

Result<AuditVerifier> AuditVerifier::create(std::span<const std::byte> key) {
  if (auto s = check_key(key); !s) return std::unexpected(s.error());
  return AuditVerifier(std::vector<std::byte>(key.begin(), key.end()));
}

bool AuditVerifier::feed(std::string_view line) {
  if (!problem_.empty()) return false;
  ++line_number_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return true;
  auto report = [&](std::string what) {
    problem_ = std::move(what);
    bad_line_ = line_number_;
    return false;
  };
  auto entry = parse_audit_line(line);
  if (!entry) return report("unparseable entry: " + entry.error().field + ": " + entry.error().bound);
  if (entry->sequence != expected_sequence_) {
    return report("missing entry: expected sequence " + std::to_string(expected_sequence_) +
                  ", found " + std::to_string(entry->sequence));
  }
  if (!digests_equal(sha256(entry->payload), entry->payload_digest)) {
    return report("payload digest mismatch at sequence " + std::to_string(entry->sequence));
  }
  if (!digests_equal(entry->prev_mac, prev_mac_)) {
    return report("previous-mac mismatch at sequence " + std::to_string(entry->sequence));
  }
  const Digest mac = entry_mac(key_, entry->sequence, entry->time_ns, entry->kind,
                               entry->payload_digest, entry->prev_mac);
  if (!digests_equal(mac, entry->mac)) {
    return report("mac mismatch at sequence " + std::to_string(entry->sequence));
  }
  prev_mac_ = entry->mac;
  ++expected_sequence_;
  ++verified_;
  return true;
}

}  // namespace anomstream::triage
