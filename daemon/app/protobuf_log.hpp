#pragma once
// Where libprotobuf's own log lines go. Protobuf logs from inside parsing, to stderr, one
// ERROR line for every string field of a received message that is not UTF-8 (proto3
// validates them): left alone, anyone who can send a UDP datagram writes the daemon's
// log at line rate. The daemon already counts such input (rejected{reason="malformed"});
// protobuf's lines go to spdlog at debug level instead, at most PROTOBUF_LOG_BURST per
// second with the number held back. FATAL lines keep protobuf's behaviour (it aborts
// after logging them). Thread-safe: ingest threads parse concurrently.

#include <cstdint>

namespace anomstream::daemon {

inline constexpr std::uint32_t PROTOBUF_LOG_BURST = 5;

// Installs the handler (process-wide; call once at start, before the transports run).
void route_protobuf_logs();

}  // namespace anomstream::daemon
