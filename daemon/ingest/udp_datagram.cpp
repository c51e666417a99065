#include "ingest/udp_datagram.hpp"

#include <climits>
#include <string>

#include "anomstream/v1/observation.pb.h"

namespace anomstream::daemon {

void admit_datagram(std::span<const char> bytes, bool truncated, const DatagramLimits& limits,
                    Admission& admission, hotpath::MetricsBatcher& batcher) {
  IngestTally tally;  // UDP has no reply; the tally only feeds the counters
  if (truncated) {
    admission.reject_undecoded(Transport::udp, RejectReason::oversized,
                               "datagram: larger than " + std::to_string(limits.max_datagram_bytes) + " bytes", 0,
                               tally, batcher);
    return;
  }
  v1::ObservationBatch batch;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !batch.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    admission.reject_undecoded(Transport::udp, RejectReason::malformed, "datagram: not an ObservationBatch", 0,
                               tally, batcher);
    return;
  }
  const auto count = static_cast<std::size_t>(batch.observations_size());
  if (count == 0) {
    admission.reject_undecoded(Transport::udp, RejectReason::empty_batch, "datagram: batch is empty", 0, tally,
                               batcher);
    return;
  }
  if (count > limits.max_batch) {
    for (std::size_t i = 0; i < count; ++i) {
      admission.reject_undecoded(Transport::udp, RejectReason::oversized, "datagram: batch too long", i, tally,
                                 batcher);
    }
    return;
  }
  for (int i = 0; i < batch.observations_size(); ++i) {
    admission.admit(batch.observations(i), Transport::udp, static_cast<std::uint64_t>(i), tally, batcher);
  }
}

}  // namespace anomstream::daemon
