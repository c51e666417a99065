#pragma once
// What becomes of one UDP datagram: its bytes decode as one anomstream.v1.ObservationBatch
// whose observations go through Admission::admit one by one. A datagram that was cut
// short by the receive buffer counts as one observation rejected `oversized`; bytes
// that do not decode, one rejected `malformed`; a batch with no observations, one
// rejected `empty_batch`; a batch longer than `max_batch`, each of its observations
// rejected `oversized`. The UdpListener calls this for every datagram it receives; the
// fuzz target fuzz/udp_datagram_fuzz.cpp drives it with arbitrary bytes.
// Memory: the decoded batch (about the datagram's size). Time: linear in its size.

#include <cstddef>
#include <span>

#include "anomstream/hotpath/metrics_batcher.hpp"
#include "ingest/admission.hpp"

namespace anomstream::daemon {

struct DatagramLimits {
  std::size_t max_datagram_bytes = 0;  // named in the `oversized` rejection
  std::size_t max_batch = 0;           // observations one datagram may carry
};

// `truncated`: the datagram was larger than limits.max_datagram_bytes (MSG_TRUNC).
void admit_datagram(std::span<const char> bytes, bool truncated, const DatagramLimits& limits,
                    Admission& admission, hotpath::MetricsBatcher& batcher);

}  // namespace anomstream::daemon
