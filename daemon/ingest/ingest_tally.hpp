#pragma once
// Per-call accounting of what an ingest call (a gRPC stream, a batch, a datagram)
// delivered, and its translation into the reply every client gets.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "anomstream/v1/ingest_service.pb.h"
#include "ingest/publish_call.hpp"
#include "metrics/daemon_metrics.hpp"

namespace anomstream::daemon {

inline constexpr std::size_t MAX_REPORTED_REJECTIONS = 16;

struct IngestTally {
  std::uint64_t received = 0;
  std::uint64_t accepted = 0;
  std::uint64_t sampled_out = 0;
  std::uint64_t rate_capped = 0;
  std::uint64_t dropped = 0;
  std::array<std::uint64_t, REJECT_REASON_COUNT> rejected{};
  struct Rejection {
    std::uint64_t index;
    RejectReason reason;
    std::string detail;
  };
  std::vector<Rejection> first_rejections;
  // Scale-out: observations published but not yet acknowledged (index, sampler's
  // decision); counted when Admission::settle() has their acknowledgements.
  std::unique_ptr<PublishCall> publishing;
  std::vector<std::pair<std::uint64_t, bool>> published;

  void reject(std::uint64_t index, RejectReason reason, std::string detail) {
    ++rejected[static_cast<std::size_t>(reason)];
    if (first_rejections.size() < MAX_REPORTED_REJECTIONS) {
      first_rejections.push_back({index, reason, std::move(detail)});
    }
  }
  [[nodiscard]] std::uint64_t rejected_total() const {
    std::uint64_t total = 0;
    for (auto n : rejected) total += n;
    return total;
  }
  void to_summary(v1::IngestSummary& out) const {
    out.set_received(received);
    out.set_accepted(accepted);
    out.set_sampled_out(sampled_out);
    out.set_rate_capped(rate_capped);
    out.set_dropped(dropped);
    for (std::size_t r = 0; r < REJECT_REASON_COUNT; ++r) {
      if (rejected[r] > 0) {
        (*out.mutable_rejected())[std::string(to_string(static_cast<RejectReason>(r)))] = rejected[r];
      }
    }
    for (const auto& rejection : first_rejections) {
      auto* r = out.add_first_rejections();
      r->set_index(rejection.index);
      r->set_reason(std::string(to_string(rejection.reason)));
      r->set_detail(rejection.detail);
    }
  }
};

}  // namespace anomstream::daemon
