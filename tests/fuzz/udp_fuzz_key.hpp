#pragma once
// The UDP key of the udp_datagram fuzz target and of its generated seeds: one key "k"
// covering tenant "tenant-0" (the traffic generator's first tenant), and the clock the
// target runs at, so sealed seeds are fresh to it.

#include <cstdint>
#include <string_view>

namespace anomstream::fuzz {

inline constexpr std::int64_t UDP_NOW_NS = 1'800'000'000'000'000'000;
inline constexpr std::string_view UDP_KEYS_FILE =
    "keys:\n"
    "  - id: k\n"
    "    secret_hex: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
    "    tenants: [tenant-0]\n";
// The first byte of an input: how the listener is set up, the datagram follows.
enum UdpMode : std::uint8_t { bare = 0, envelope = 1, sealed_by_target = 2 };

}  // namespace anomstream::fuzz
