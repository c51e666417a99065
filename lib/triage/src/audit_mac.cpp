#include "audit_mac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace anomstream::triage::detail {
namespace {

constexpr std::string_view MAC_DOMAIN = "anomstream-audit-v1\n";

}  // namespace

Digest sha256(std::span<const std::uint8_t> data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Digest sha256(std::string_view data) {
  return sha256(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
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

bool entry_verifies(std::span<const std::byte> key, const AuditEntry& entry) {
  return digests_equal(
      entry_mac(key, entry.sequence, entry.time_ns, entry.kind, entry.payload_digest, entry.prev_mac), entry.mac);
}

bool digests_equal(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status check_key(std::span<const std::byte> key) {
  if (key.size() < AUDIT_MIN_KEY_BYTES) {
    return fail(ErrorCode::invalid_config, "audit key",
                "must be at least " + std::to_string(AUDIT_MIN_KEY_BYTES) + " bytes (got " +
                    std::to_string(key.size()) + ")");
  }
  return {};
}

}  // namespace anomstream::triage::detail
