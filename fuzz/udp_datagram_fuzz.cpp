// Fuzz target: the bytes of one UDP datagram, through what UdpListener::run does with
// them: admit_datagram (decode an anomstream.v1.ObservationBatch, then Admission::admit
// each observation with the real validation, rate cap, sampler and worker queues).
// Small limits (dimension 16, batch 8, datagram 2048 bytes, queues of 4) keep every
// rejection path reachable; the queues are drained after each input, like the workers
// would. Checked beyond "no crash": every observation is accounted for (received =
// accepted + rate_capped + dropped + rejected, the daemon's accounting identity), and
// what reaches a worker queue is valid (a tenant, finite values, within the dimension).
// Seeds: fuzz/corpus/udp_datagram (datagrams of the project's traffic generator).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "anomstream/hotpath/prefix_rate_cap.hpp"
#include "anomstream/hotpath/update_channel.hpp"
#include "anomstream/hotpath/update_sampler.hpp"
#include "ingest/admission.hpp"
#include "ingest/udp_datagram.hpp"
#include "metrics/daemon_metrics.hpp"

namespace {

using namespace anomstream;
using namespace anomstream::daemon;

constexpr std::size_t WORKERS = 2;
constexpr std::size_t QUEUE_CAPACITY = 4;
constexpr DatagramLimits LIMITS{.max_datagram_bytes = 2048, .max_batch = 8};
constexpr AdmissionLimits ADMISSION_LIMITS{.max_dimension = 16, .fixed_dimension = 0, .max_streams = 64};

double total_received(DaemonMetrics& m) {
  return m.received(Transport::grpc).Value() + m.received(Transport::udp).Value();
}

double total_outcomes(DaemonMetrics& m) {
  double sum = m.accepted().Value() + m.rate_capped().Value() + m.dropped(DropReason::queue_full).Value();
  for (std::size_t r = 0; r < REJECT_REASON_COUNT; ++r) sum += m.rejected(static_cast<RejectReason>(r)).Value();
  return sum;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 in a string field: one log line each
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static DaemonMetrics metrics(WORKERS);  // Prometheus registry: built once, counts accumulate

  // A fresh admission per input, so one input's streams and rate buckets do not change
  // how the next one is handled.
  std::vector<hotpath::Sender<WorkItem>> senders;
  std::vector<hotpath::Receiver<WorkItem>> receivers;
  for (std::size_t w = 0; w < WORKERS; ++w) {
    auto channel = hotpath::try_update_channel<WorkItem>(QUEUE_CAPACITY);
    check(channel.has_value());
    senders.push_back(std::move(channel->first));
    receivers.push_back(std::move(channel->second));
  }
  auto sampler = hotpath::UpdateSampler::keyed_with_seeds(0.5, SipKey{1, 2});
  auto rate_cap = hotpath::PrefixRateCap::create_with_key(
      {.cap_per_window = 6, .window = std::chrono::seconds(60)}, SipKey{3, 4});
  check(sampler.has_value() && rate_cap.has_value());
  Admission admission(ADMISSION_LIMITS, metrics, std::move(senders),
                      AdmissionPolicy{std::move(*sampler), std::move(*rate_cap)});

  // As UdpListener::run: at most max_datagram_bytes + 1 bytes are received, and a longer
  // datagram is flagged truncated.
  const std::size_t kept = std::min(size, LIMITS.max_datagram_bytes + 1);
  const double received_before = total_received(metrics);
  const double outcomes_before = total_outcomes(metrics);
  {
    auto batcher = admission.batcher();
    admit_datagram(std::span<const char>(reinterpret_cast<const char*>(data), kept),
                   size > LIMITS.max_datagram_bytes, LIMITS, admission, batcher);
  }  // the batcher's destructor flushes the counts
  check(total_received(metrics) - received_before == total_outcomes(metrics) - outcomes_before);

  for (auto& receiver : receivers) {
    while (auto item = receiver.try_recv()) {
      check(!item->tenant.empty() && item->values.size() >= 1 &&
            item->values.size() <= ADMISSION_LIMITS.max_dimension);
      for (const double v : item->values) check(std::isfinite(v));
    }
  }
  return 0;
}
