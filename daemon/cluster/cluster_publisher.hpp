#pragma once
// Scale-out ingest: each admitted observation becomes a ClusterObservation message on
// <subject_prefix>.obs.<partition of its tenant>, published with a message id (this
// instance's name, the call's number and the observation's place in it) for
// JetStream's de-duplication window. A call publishes all its observations without
// waiting, on a JetStream context of its own, then waits up to publish_timeout_ms for
// their acknowledgements: one round trip per call. An observation is accepted only once
// acknowledged; the server's refusal or a missing acknowledgement refuses it
// (publish_failed). A refused observation may still have been stored (its
// acknowledgement lost): scoring is at-least-once. Thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "cluster/jetstream.hpp"
#include "ingest/admission.hpp"

namespace anomstream::daemon {

class ClusterPublisher final : public ObservationPublisher {
 public:
  ClusterPublisher(natsConnection* connection, const ClusterLayout& layout, std::int64_t timeout_ms)
      : connection_(connection), layout_(layout), timeout_ms_(timeout_ms) {}
  std::unique_ptr<PublishCall> begin() override;

 private:
  natsConnection* connection_;
  const ClusterLayout& layout_;
  std::int64_t timeout_ms_;
  std::atomic<std::uint64_t> next_call_{0};
};

}  // namespace anomstream::daemon
