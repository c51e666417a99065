#pragma once
// Scale-out ingest: the observations one ingest call (a batch, a datagram, part of a
// stream) publishes to JetStream, sent without waiting and then awaited together, so a
// call costs one round trip rather than one per observation.

#include <cstdint>
#include <string>
#include <vector>

#include "anomstream/v1/observation.pb.h"

namespace anomstream::daemon {

class PublishCall {
 public:
  virtual ~PublishCall() = default;
  // Sends one observation; `update` is the sampler's decision, carried to the scorer.
  virtual void add(const v1::Observation& observation, bool update, std::int64_t received_ns) = 0;
  [[nodiscard]] virtual std::size_t size() const = 0;
  // Waits for the acknowledgements: per observation added, in order, "" when JetStream
  // stored it, else why it was not (the caller refuses it publish_failed).
  virtual std::vector<std::string> finish() = 0;
};

}  // namespace anomstream::daemon
