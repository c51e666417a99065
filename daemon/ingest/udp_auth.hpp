#pragma once
// Signed UDP datagrams. With server.udp.auth.keys_file set, every datagram must be an
// envelope, all integers little-endian:
//   4 bytes   "AUD1"
//   1 byte    L, the key id's length, 1..64
//   L bytes   key id
//   8 bytes   sequence: the sender's clock in nanoseconds since the Unix epoch, strictly
//             new for each datagram of a key
//   n bytes   the payload, one anomstream.v1.ObservationBatch
//   32 bytes  HMAC-SHA256(key, every byte before it)
// A datagram is accepted when its key is known, its MAC verifies (compared in constant
// time), its sequence is within replay_window of the daemon's clock and newer than the
// daemon's start, and the sequence was not seen before for that key; its observations
// must then be for tenants the key covers. Everything else is counted and dropped. The
// keys file (mode 0600) lists each key's id, secret and tenants:
//   keys:
//     - id: sensor-1
//       secret_hex: <at least 64 hex digits: a 32-byte secret or longer>
//       tenants: [tenant-a]          # or ["*"]
// Memory: per key its secret, tenants, and at most REPLAY_MEMORY remembered sequences
// (about 40 bytes each); older sequences than the oldest remembered are refused.
// Time: one HMAC-SHA256 over the datagram and one hash lookup. Not thread-safe: the UDP
// thread owns it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ingest/credential_text.hpp"

namespace anomstream::daemon {

inline constexpr std::string_view UDP_ENVELOPE_MAGIC = "AUD1";
inline constexpr std::size_t UDP_MAC_BYTES = 32;
inline constexpr std::size_t MAX_UDP_KEY_ID_BYTES = 64;
inline constexpr std::size_t MIN_UDP_SECRET_BYTES = 32;
inline constexpr std::size_t REPLAY_MEMORY = 16384;

struct UdpKey {
  std::string id;
  std::string secret;
  TenantScope tenants;
  [[nodiscard]] bool covers(std::string_view tenant) const { return tenants.covers(tenant); }
};

class UdpKeyTable {
 public:
  static std::expected<UdpKeyTable, std::string> parse(std::string_view text, std::string_view source);
  static std::expected<UdpKeyTable, std::string> load(const std::string& path);
  [[nodiscard]] const UdpKey* find(std::string_view id) const;
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }

 private:
  std::vector<UdpKey> keys_;
};

// Builds a signed datagram (what a sender does).
std::string seal_datagram(const UdpKey& key, std::uint64_t sequence, std::string_view payload);

class UdpAuthenticator {
 public:
  UdpAuthenticator(UdpKeyTable keys, std::chrono::nanoseconds window, std::int64_t start_unix_ns);

  struct Opened {
    std::string_view payload;
    const UdpKey* key = nullptr;
  };
  // The payload of an authentic, fresh datagram, or why it is refused.
  std::expected<Opened, std::string> open(std::string_view datagram, std::int64_t now_unix_ns);

 private:
  struct Replay {
    std::uint64_t floor = 0;  // sequences at or below are refused
    std::unordered_set<std::uint64_t> seen;
    std::deque<std::uint64_t> order;
  };
  UdpKeyTable keys_;
  std::int64_t window_ns_;
  std::int64_t start_ns_;
  std::unordered_map<std::string, Replay> replay_;
};

}  // namespace anomstream::daemon
