// What one UDP datagram becomes: the listener's decode-and-admit step, driven on bytes.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "anomstream/v1/observation.pb.h"
#include "ingest/admission.hpp"
#include "ingest/udp_datagram.hpp"

using namespace anomstream;
using namespace anomstream::daemon;

namespace {

struct Harness {
  DaemonMetrics metrics{1};
  std::vector<hotpath::Receiver<WorkItem>> receivers;
  std::unique_ptr<Admission> admission;

  Harness() {
    auto channel = hotpath::try_update_channel<WorkItem>(16);
    REQUIRE(channel);
    std::vector<hotpath::Sender<WorkItem>> senders;
    senders.push_back(std::move(channel->first));
    receivers.push_back(std::move(channel->second));
    auto sampler = hotpath::UpdateSampler::every(1);
    REQUIRE(sampler);
    admission = std::make_unique<Admission>(AdmissionLimits{.max_dimension = 4, .tenants = {}}, metrics, std::move(senders),
                                            AdmissionPolicy{std::move(*sampler), hotpath::PrefixRateCap::disabled()},
                                            AdmissionKeys{.shard = {1, 2}, .streams = {3, 4}, .tenants = {5, 6}});
  }
  void deliver(const std::string& bytes, bool truncated = false) {
    auto batcher = admission->batcher();
    admit_datagram(std::span<const char>(bytes.data(), bytes.size()), truncated,
                   DatagramContext{.limits = {.max_datagram_bytes = 1000, .max_batch = 2}}, *admission, batcher);
  }
  double rejected(RejectReason r) { return metrics.rejected(r).Value(); }
};

std::string batch_of(std::size_t n, std::size_t dims) {
  v1::ObservationBatch batch;
  for (std::size_t i = 0; i < n; ++i) {
    auto* o = batch.add_observations();
    o->set_tenant("acme");
    o->set_stream("s" + std::to_string(i));
    for (std::size_t d = 0; d < dims; ++d) o->add_values(static_cast<double>(d));
  }
  return batch.SerializeAsString();
}

}  // namespace

TEST_CASE("a datagram's observations are admitted one by one and reach the worker queue") {
  Harness h;
  h.deliver(batch_of(2, 3));
  CHECK(h.metrics.received(Transport::udp).Value() == 2);
  CHECK(h.metrics.accepted().Value() == 2);
  int queued = 0;
  while (h.receivers[0].try_recv()) ++queued;
  CHECK(queued == 2);
}

TEST_CASE("a datagram is refused whole when it does not decode, is empty or was cut short") {
  Harness h;
  h.deliver(std::string("\xff\xff\xff\xff", 4));
  CHECK(h.rejected(RejectReason::malformed) == 1);
  h.deliver("");
  CHECK(h.rejected(RejectReason::empty_batch) == 1);
  h.deliver(batch_of(1, 3), true);
  CHECK(h.rejected(RejectReason::oversized) == 1);
  CHECK(h.metrics.received(Transport::udp).Value() == 3);
  CHECK(h.metrics.accepted().Value() == 0);
}

TEST_CASE("a batch longer than max_batch is rejected observation by observation") {
  Harness h;
  h.deliver(batch_of(3, 2));
  CHECK(h.rejected(RejectReason::oversized) == 3);
  CHECK(h.metrics.received(Transport::udp).Value() == 3);
}

TEST_CASE("each observation of a datagram is validated on its own") {
  Harness h;
  v1::ObservationBatch batch;
  auto* good = batch.add_observations();
  good->set_tenant("acme");
  good->add_values(1.0);
  auto* wide = batch.add_observations();
  wide->set_tenant("acme");
  wide->set_stream("wide");
  for (int d = 0; d < 5; ++d) wide->add_values(1.0);
  h.deliver(batch.SerializeAsString());
  CHECK(h.metrics.accepted().Value() == 1);
  CHECK(h.rejected(RejectReason::dimension_too_large) == 1);
}
