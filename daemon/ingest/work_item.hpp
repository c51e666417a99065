#pragma once
// What an ingest thread hands a worker through its bounded queue: one validated
// observation, already routed to the worker that owns its tenant, or an analyst's
// verdict on one of the tenant's alerts (then `feedback` is set and the rest unused),
// or, in scale-out, a message's ticket or a partition command.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_work.hpp"
#include "triage/feedback_request.hpp"

namespace anomstream::daemon {

struct WorkItem {
  std::string tenant;
  std::string stream;
  std::int64_t timestamp_ns = 0;
  std::int64_t received_steady_ns = 0;  // steady clock at receipt, for the latency histogram
  std::int64_t received_ns = 0;         // wall clock at receipt, reported in alerts
  std::vector<double> values;
  std::shared_ptr<FeedbackRequest> feedback{};
  std::shared_ptr<ExplainRequest> explain{};
  std::shared_ptr<ClusterTicket> ticket{};        // scale-out: the JetStream message this is
  std::shared_ptr<PartitionCommand> command{};    // scale-out: a hand-off step (the rest unused)
  bool update = true;  // the sampler's decision: also update the model
};

}  // namespace anomstream::daemon
