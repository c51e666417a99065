#pragma once
// What becomes of one UDP datagram. When UDP keys are configured, the datagram must be an
// authentic, fresh envelope (udp_auth.hpp), else it counts as one observation rejected
// `unauthenticated`; its payload (or the whole datagram without keys) decodes as one
// anomstream.v1.ObservationBatch whose observations go through Admission::admit one by
// one. A datagram cut short by the receive buffer counts as one observation rejected
// `oversized`; bytes that do not decode, one rejected `malformed`; a batch with no
// observations, one rejected `empty_batch`; a batch longer than `max_batch`, each of its
// observations rejected `oversized`; a signed batch naming a tenant its key does not
// cover, each observation rejected `unauthorized`. Refusals are logged through the
// caller's limiter. The UdpListener calls this for every datagram it receives; the fuzz
// target tests/fuzz/udp_datagram_fuzz.cpp drives it with arbitrary bytes.
// Memory: the decoded batch (about the datagram's size). Time: linear in its size.

#include <cstddef>
#include <cstdint>
#include <span>

#include "anomstream/hotpath/metrics_batcher.hpp"
#include "ingest/admission.hpp"
#include "ingest/udp_auth.hpp"
#include "worker/log_limiter.hpp"

namespace anomstream::daemon {

struct DatagramLimits {
  std::size_t max_datagram_bytes = 0;  // named in the `oversized` rejection
  std::size_t max_batch = 0;           // observations one datagram may carry
};

struct DatagramContext {
  DatagramLimits limits;
  UdpAuthenticator* authenticator = nullptr;  // null: datagrams are bare batches
  LogLimiter* refused_log = nullptr;          // null: refusals are counted, not logged
  std::int64_t now_unix_ns = 0;               // for the envelope's replay window
};

// `truncated`: the datagram was larger than limits.max_datagram_bytes (MSG_TRUNC).
void admit_datagram(std::span<const char> bytes, bool truncated, const DatagramContext& context,
                    Admission& admission, hotpath::MetricsBatcher& batcher);

}  // namespace anomstream::daemon
