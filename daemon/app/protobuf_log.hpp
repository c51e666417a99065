#pragma once
// Protobuf writes its own error lines (e.g. a string field of a datagram that is not
// UTF-8), one per bad message: as many as a client sends. route_protobuf_logs() sends
// them through spdlog instead, escaped and limited to 10 lines per 10 s (the rest counted
// on the next line written).

namespace anomstream::daemon {

void route_protobuf_logs();

}  // namespace anomstream::daemon
