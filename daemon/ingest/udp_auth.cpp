#include "ingest/udp_auth.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <yaml-cpp/yaml.h>

#include <array>

#include "config/secret_file.hpp"

namespace anomstream::daemon {
namespace {

std::array<unsigned char, UDP_MAC_BYTES> mac_of(const std::string& secret, std::string_view bytes) {
  std::array<unsigned char, UDP_MAC_BYTES> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), mac.data(), &size);
  return mac;
}

std::expected<UdpKey, std::string> parse_key(const YAML::Node& node) {
  if (!node.IsMap()) return std::unexpected("a map with id, secret_hex and tenants");
  for (const auto& field : node) {
    const std::string name = field.first.IsScalar() ? field.first.Scalar() : "?";
    if (name != "id" && name != "secret_hex" && name != "tenants") {
      return std::unexpected(fmt::format("unknown field \"{}\" (id, secret_hex, tenants)", name));
    }
  }
  UdpKey key;
  const YAML::Node id = node["id"];
  if (!id || !id.IsScalar() || id.Scalar().empty() || id.Scalar().size() > MAX_UDP_KEY_ID_BYTES) {
    return std::unexpected(fmt::format("id: 1..{} bytes", MAX_UDP_KEY_ID_BYTES));
  }
  key.id = id.Scalar();
  const YAML::Node secret = node["secret_hex"];
  if (!secret || !secret.IsScalar()) return std::unexpected("secret_hex: the key in hex");
  auto bytes = decode_hex(secret.Scalar());
  if (!bytes) return std::unexpected("secret_hex: " + bytes.error());
  if (bytes->size() < MIN_UDP_SECRET_BYTES) {
    return std::unexpected(fmt::format("secret_hex: at least {} bytes ({} hex digits)", MIN_UDP_SECRET_BYTES,
                                       2 * MIN_UDP_SECRET_BYTES));
  }
  key.secret = std::move(*bytes);
  auto tenants = parse_tenant_scope(node["tenants"]);
  if (!tenants) return std::unexpected(tenants.error());
  key.tenants = std::move(*tenants);
  return key;
}

}  // namespace

std::expected<UdpKeyTable, std::string> UdpKeyTable::parse(std::string_view text, std::string_view source) {
  auto keys = credential_entries<UdpKey>(text, source, "keys", parse_key);
  if (!keys) return std::unexpected(keys.error());
  UdpKeyTable table;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    UdpKey& key = (*keys)[i];
    if (table.find(key.id) != nullptr) {
      return std::unexpected(fmt::format("{}: keys[{}]: id \"{}\" is listed twice", source, i, key.id));
    }
    table.keys_.push_back(std::move(key));
  }
  return table;
}

std::expected<UdpKeyTable, std::string> UdpKeyTable::load(const std::string& path) {
  auto text = read_secret_file(path, "server.udp.auth.keys_file");
  if (!text) return std::unexpected(text.error());
  return parse(*text, path);
}

const UdpKey* UdpKeyTable::find(std::string_view id) const {
  for (const auto& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

std::string seal_datagram(const UdpKey& key, std::uint64_t sequence, std::string_view payload) {
  std::string out(UDP_ENVELOPE_MAGIC);
  out.push_back(static_cast<char>(key.id.size()));
  out += key.id;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((sequence >> (8 * i)) & 0xff));
  out += payload;
  const auto mac = mac_of(key.secret, out);
  out.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  return out;
}

UdpAuthenticator::UdpAuthenticator(UdpKeyTable keys, std::chrono::nanoseconds window, std::int64_t start_unix_ns)
    : keys_(std::move(keys)), window_ns_(window.count()), start_ns_(start_unix_ns) {}

std::expected<UdpAuthenticator::Opened, std::string> UdpAuthenticator::open(std::string_view datagram,
                                                                          std::int64_t now_unix_ns) {
  if (datagram.size() < UDP_ENVELOPE_MAGIC.size() + 1 || datagram.substr(0, 4) != UDP_ENVELOPE_MAGIC) {
    return std::unexpected("datagram: not signed (no AUD1 envelope)");
  }
  const std::size_t id_bytes = static_cast<unsigned char>(datagram[4]);
  const std::size_t header = 5 + id_bytes + 8;
  if (id_bytes == 0 || id_bytes > MAX_UDP_KEY_ID_BYTES || datagram.size() < header + UDP_MAC_BYTES) {
    return std::unexpected("datagram: envelope too short or key id of a bad length");
  }
  const UdpKey* key = keys_.find(datagram.substr(5, id_bytes));
  if (key == nullptr) return std::unexpected("datagram: unknown key id");
  const std::string_view signed_part = datagram.substr(0, datagram.size() - UDP_MAC_BYTES);
  const auto mac = mac_of(key->secret, signed_part);
  if (CRYPTO_memcmp(mac.data(), datagram.data() + signed_part.size(), UDP_MAC_BYTES) != 0) {
    return std::unexpected("datagram: MAC does not verify");
  }
  std::uint64_t sequence = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    sequence |= static_cast<std::uint64_t>(static_cast<unsigned char>(datagram[5 + id_bytes + i])) << (8 * i);
  }
  const auto signed_sequence = static_cast<std::int64_t>(sequence);
  if (signed_sequence < now_unix_ns - window_ns_ || signed_sequence > now_unix_ns + window_ns_) {
    return std::unexpected("datagram: time stamp outside server.udp.auth.replay_window_s");
  }
  Replay& replay = replay_[key->id];
  if (replay.floor == 0) replay.floor = static_cast<std::uint64_t>(start_ns_);
  if (sequence <= replay.floor || replay.seen.contains(sequence)) {
    return std::unexpected("datagram: replayed (sequence already seen, or older than the daemon's memory of it)");
  }
  replay.seen.insert(sequence);
  replay.order.push_back(sequence);
  if (replay.order.size() > REPLAY_MEMORY) {
    const std::uint64_t forgotten = replay.order.front();
    replay.order.pop_front();
    replay.seen.erase(forgotten);
    replay.floor = std::max(replay.floor, forgotten);
  }
  return Opened{datagram.substr(header, signed_part.size() - header), key};
}

}  // namespace anomstream::daemon
