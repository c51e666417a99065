#include "ingest/udp_datagram.hpp"

#include <spdlog/spdlog.h>

#include <climits>
#include <string>
#include <string_view>

#include "anomstream/v1/observation.pb.h"
#include "worker/log_text.hpp"

namespace anomstream::daemon {
namespace {

void refuse(const DatagramContext& context, RejectReason reason, const std::string& detail, std::size_t count,
            Admission& admission, IngestTally& tally, hotpath::MetricsBatcher& batcher) {
  if (std::uint64_t suppressed = 0;
      context.refused_log != nullptr && context.refused_log->allow(LogLimiter::Clock::now(), suppressed)) {
    spdlog::warn("event=udp_refused reason={} detail=\"{}\" suppressed={}", to_string(reason), escape_for_log(detail),
                 suppressed);
  }
  for (std::size_t i = 0; i < count; ++i) admission.reject_undecoded(Transport::udp, reason, detail, i, tally, batcher);
}

}  // namespace

void admit_datagram(std::span<const char> bytes, bool truncated, const DatagramContext& context,
                    Admission& admission, hotpath::MetricsBatcher& batcher) {
  IngestTally tally;  // UDP has no reply; the tally only feeds the counters
  if (truncated) {
    return refuse(context, RejectReason::oversized,
                  "datagram: larger than " + std::to_string(context.limits.max_datagram_bytes) + " bytes", 1,
                  admission, tally, batcher);
  }
  std::string_view payload(bytes.data(), bytes.size());
  const UdpKey* key = nullptr;
  if (context.authenticator != nullptr) {
    auto opened = context.authenticator->open(payload, context.now_unix_ns);
    if (!opened) return refuse(context, RejectReason::unauthenticated, opened.error(), 1, admission, tally, batcher);
    payload = opened->payload;
    key = opened->key;
  }
  v1::ObservationBatch batch;
  if (payload.size() > static_cast<std::size_t>(INT_MAX) ||
      !batch.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return refuse(context, RejectReason::malformed, "datagram: not an ObservationBatch", 1, admission, tally,
                  batcher);
  }
  const auto count = static_cast<std::size_t>(batch.observations_size());
  if (count == 0) {
    return refuse(context, RejectReason::empty_batch, "datagram: batch is empty", 1, admission, tally, batcher);
  }
  if (count > context.limits.max_batch) {
    return refuse(context, RejectReason::oversized, "datagram: batch too long", count, admission, tally, batcher);
  }
  if (key != nullptr) {
    for (const auto& o : batch.observations()) {
      if (!key->covers(o.tenant())) {
        return refuse(context, RejectReason::unauthorized,
                      "datagram: key \"" + key->id + "\" does not cover tenant \"" + o.tenant() + "\"", count,
                      admission, tally, batcher);
      }
    }
  }
  for (int i = 0; i < batch.observations_size(); ++i) {
    admission.admit(batch.observations(i), Transport::udp, static_cast<std::uint64_t>(i), tally, batcher);
  }
  admission.settle(tally, batcher);
}

}  // namespace anomstream::daemon
