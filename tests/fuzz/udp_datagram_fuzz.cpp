// Fuzz target: the bytes of one UDP datagram, through what UdpListener::run does with
// them: admit_datagram (open the signed envelope when keys are configured, decode an
// anomstream.v1.ObservationBatch, then Admission::admit each observation with the real
// validation, tenant registry, rate cap, sampler and worker queues). The first byte picks
// the listener's setting, the rest is the datagram: 0, no keys (bare batches); 1, keys
// configured and the bytes are the envelope (forged or garbled MACs, ids, sequences);
// 2, keys configured and the bytes are a payload the target seals with key "k", which
// covers tenant "tenant-0" only (tests/fuzz/udp_fuzz_key.hpp): what a sender holding a key
// can still send.
// Small limits (dimension 16, batch 8, datagram 2048 bytes, queues of 4) keep every
// rejection path reachable; the queues are drained after each input, like the workers
// would. Checked beyond "no crash": every observation is accounted for (received =
// accepted + rate_capped + dropped + rejected, the daemon's accounting identity), and
// what reaches a worker queue is valid (a tenant, finite values, within the dimension)
// and, with keys, for a tenant the key covers.
// Seeds: tests/fuzz/corpus/udp_datagram (datagrams of the project's traffic generator, each in
// the three settings).

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
#include "ingest/udp_auth.hpp"
#include "ingest/udp_datagram.hpp"
#include "metrics/daemon_metrics.hpp"
#include "udp_fuzz_key.hpp"

namespace {

using namespace anomstream;
using namespace anomstream::daemon;

constexpr std::size_t WORKERS = 2;
constexpr std::size_t QUEUE_CAPACITY = 4;
constexpr DatagramLimits LIMITS{.max_datagram_bytes = 2048, .max_batch = 8};
// Tenant limits small enough that one datagram can meet them: 3 tenants, 2 new ones a
// second (burst 2), 4 observations per tenant.
constexpr AdmissionLimits ADMISSION_LIMITS{
    .max_dimension = 16,
    .fixed_dimension = 0,
    .max_streams = 64,
    .max_abs_value = 1e15,
    .tenants = {.capacity = 3, .new_per_second = 2, .new_burst = 2, .per_tenant_rate = 4, .per_tenant_burst = 4}};
using fuzz::UDP_KEYS_FILE;
using fuzz::UDP_NOW_NS;

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
                      AdmissionPolicy{std::move(*sampler), std::move(*rate_cap)},
                      AdmissionKeys{.shard = SipKey{5, 6}, .streams = SipKey{7, 8}, .tenants = SipKey{9, 10}});
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 3;
  std::string datagram(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::unique_ptr<UdpAuthenticator> authenticator;
  if (mode != fuzz::bare) {
    auto keys = UdpKeyTable::parse(UDP_KEYS_FILE, "fuzz keys");
    check(keys.has_value());
    if (mode == fuzz::sealed_by_target) datagram = seal_datagram(*keys->find("k"), UDP_NOW_NS, datagram);
    authenticator = std::make_unique<UdpAuthenticator>(std::move(*keys), std::chrono::seconds(60), UDP_NOW_NS - 1);
  }

  // As UdpListener::run: at most max_datagram_bytes + 1 bytes are received, and a longer
  // datagram is flagged truncated.
  const std::size_t kept = std::min(datagram.size(), LIMITS.max_datagram_bytes + 1);
  const DatagramContext context{.limits = LIMITS, .authenticator = authenticator.get(), .now_unix_ns = UDP_NOW_NS};
  const double received_before = total_received(metrics);
  const double outcomes_before = total_outcomes(metrics);
  {
    auto batcher = admission.batcher();
    admit_datagram(std::span<const char>(datagram.data(), kept), datagram.size() > LIMITS.max_datagram_bytes, context,
                   admission, batcher);
  }  // the batcher's destructor flushes the counts
  check(total_received(metrics) - received_before == total_outcomes(metrics) - outcomes_before);

  for (auto& receiver : receivers) {
    while (auto item = receiver.try_recv()) {
      check(!item->tenant.empty() && (mode == fuzz::bare || item->tenant == "tenant-0") && item->values.size() >= 1 &&
            item->values.size() <= ADMISSION_LIMITS.max_dimension);
      for (const double v : item->values) check(std::isfinite(v));
    }
  }
  return 0;
}
