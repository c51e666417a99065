#pragma once
// The daemon's Prometheus metrics: one registry, served by the HTTP endpoint (http_endpoint.hpp) on
// server.metrics.listen. Names follow anomstream_<subsystem>_<what>_<unit>, counters end
// in _total, labels are low-cardinality (transport, reason, severity, worker index —
// bounded by workers.count). See docs/operations.md for the list.
//
// Accounting identity, exact whenever the queues are idle:
//   sum(received_total) = scored_total + rate_capped_total + sum(rejected_total)
//                         + sum(dropped_total)
// (sampled_out_total counts scored observations that did not update the model).

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anomstream::daemon {

enum class Transport : std::uint8_t { grpc, udp };
inline constexpr std::size_t TRANSPORT_COUNT = 2;

// Why an observation was rejected before scoring (the `reason` label).
enum class RejectReason : std::uint8_t {
  malformed,           // undecodable protobuf (UDP datagram or message)
  oversized,           // datagram, message or batch beyond its configured bound
  empty_batch,         // a batch with no observations
  missing_tenant,      // tenant empty
  invalid_name,        // tenant or stream too long or with control characters
  empty_values,        // no values
  dimension_too_large, // more values than ingest.max_dimension
  dimension_mismatch,  // differs from the stream's established dimension
  non_finite,          // NaN or infinity among the values
  shutting_down,       // arrived after shutdown began
  no_capacity,         // the tenant's detector state does not fit tenants.max_bytes
  unauthenticated,     // no valid token (gRPC), or an unsigned, badly signed or replayed datagram (UDP)
  unauthorized,        // the token or key does not cover the tenant or the action
  out_of_range,        // a value beyond ingest.max_abs_value
  tenant_limit,        // a new tenant beyond tenants.new_per_second
  publish_failed,      // scale-out: JetStream did not acknowledge the publish in time
};
inline constexpr std::size_t REJECT_REASON_COUNT = 16;
std::string_view to_string(RejectReason reason) noexcept;

// Why an accepted observation was dropped before scoring (the `reason` label).
enum class DropReason : std::uint8_t {
  queue_full,  // its worker's queue was full
  shutdown,    // still queued when the stop's drain deadline passed
};
inline constexpr std::size_t DROP_REASON_COUNT = 2;

inline constexpr std::size_t SEVERITY_COUNT = 5;  // none..critical; none never alerts

// Upper bounds (seconds) of the scoring-latency histogram's buckets.
inline const std::vector<double> LATENCY_BUCKETS = {1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
                                                    5e-3, 1e-2, 2.5e-2, 5e-2, 0.1,  0.25,  0.5,  1.0,
                                                    2.5,  5.0,  10.0, 30.0, 60.0};


class DaemonMetrics {
 public:
  explicit DaemonMetrics(std::size_t workers);

  [[nodiscard]] std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // The registry in the Prometheus text format (what GET /metrics returns).
  [[nodiscard]] std::string text() const;

  prometheus::Counter& received(Transport t) { return *received_[static_cast<std::size_t>(t)]; }
  prometheus::Counter& rejected(RejectReason r) { return *rejected_[static_cast<std::size_t>(r)]; }
  prometheus::Counter& accepted() { return *accepted_; }
  prometheus::Counter& rate_capped() { return *rate_capped_; }
  prometheus::Counter& dropped(DropReason r) { return *dropped_[static_cast<std::size_t>(r)]; }
  prometheus::Counter& scored() { return *scored_; }
  prometheus::Counter& sampled_out() { return *sampled_out_; }
  prometheus::Gauge& queue_depth(std::size_t worker) { return *queue_depth_[worker]; }
  prometheus::Counter& worker_cpu_seconds(std::size_t worker) { return *worker_cpu_[worker]; }
  prometheus::Histogram& scoring_latency() { return *latency_; }
  prometheus::Counter& alerts(std::size_t severity) { return *alerts_[severity]; }
  prometheus::Gauge& live_tenants() { return *live_tenants_; }
  prometheus::Counter& pool_evictions() { return *evictions_; }
  prometheus::Counter& tenant_streams_evicted() { return *stream_evictions_; }
  prometheus::Counter& values_clipped() { return *values_clipped_; }
  prometheus::Counter& alert_echoes() { return *alert_echoes_; }
  prometheus::Counter& alerts_suppressed() { return *alerts_suppressed_; }
  prometheus::Counter& cluster_alerts_muted() { return *cluster_alerts_muted_; }
  // result: 0 recorded, 1 not_found, 2 refused (malformed or unauthorised), 3 failed
  prometheus::Counter& feedback(std::size_t result) { return *feedback_[result]; }
  prometheus::Counter& audit_entries() { return *audit_entries_; }
  prometheus::Counter& audit_write_errors() { return *audit_write_errors_; }
  prometheus::Counter& watch_dropped() { return *watch_dropped_; }
  prometheus::Counter& sink_errors() { return *sink_errors_; }
  prometheus::Counter& sink_alerts_dropped() { return *sink_dropped_; }
  prometheus::Gauge& sink_queue_depth() { return *sink_queue_depth_; }
  prometheus::Gauge& watch_subscribers() { return *watch_subscribers_; }
  prometheus::Counter& watch_refused() { return *watch_refused_; }
  prometheus::Gauge& state_pass_seconds(std::size_t worker) { return *state_pass_seconds_[worker]; }
  prometheus::Counter& config_reloads(bool ok) { return *config_reloads_[ok ? 0 : 1]; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, TRANSPORT_COUNT> received_{};
  std::array<prometheus::Counter*, REJECT_REASON_COUNT> rejected_{};
  prometheus::Counter* accepted_ = nullptr;
  prometheus::Counter* rate_capped_ = nullptr;
  std::array<prometheus::Counter*, DROP_REASON_COUNT> dropped_{};
  prometheus::Counter* scored_ = nullptr;
  prometheus::Counter* sampled_out_ = nullptr;
  std::vector<prometheus::Gauge*> queue_depth_;
  std::vector<prometheus::Counter*> worker_cpu_;
  prometheus::Histogram* latency_ = nullptr;
  std::array<prometheus::Counter*, SEVERITY_COUNT> alerts_{};
  prometheus::Gauge* live_tenants_ = nullptr;
  prometheus::Counter* evictions_ = nullptr;
  prometheus::Counter* stream_evictions_ = nullptr;
  prometheus::Counter* values_clipped_ = nullptr;
  prometheus::Counter* alert_echoes_ = nullptr;
  prometheus::Counter* alerts_suppressed_ = nullptr;
  prometheus::Counter* cluster_alerts_muted_ = nullptr;
  std::array<prometheus::Counter*, 4> feedback_{};
  prometheus::Counter* audit_entries_ = nullptr;
  prometheus::Counter* audit_write_errors_ = nullptr;
  prometheus::Counter* watch_dropped_ = nullptr;
  prometheus::Counter* sink_errors_ = nullptr;
  prometheus::Counter* sink_dropped_ = nullptr;
  prometheus::Gauge* sink_queue_depth_ = nullptr;
  prometheus::Gauge* watch_subscribers_ = nullptr;
  prometheus::Counter* watch_refused_ = nullptr;
  std::vector<prometheus::Gauge*> state_pass_seconds_;
  std::array<prometheus::Counter*, 2> config_reloads_{};
};

// A worker's scored count and latency observations, batched so the shared Prometheus
// counter and the histogram's mutex are touched once per flush instead of once per
// observation. Owned by one worker thread.
class WorkerMetricsBatch {
 public:
  explicit WorkerMetricsBatch(DaemonMetrics& metrics);
  void scored(double latency_seconds) noexcept;
  void flush();
  [[nodiscard]] std::size_t pending() const noexcept { return pending_; }

 private:
  DaemonMetrics& metrics_;
  std::vector<double> buckets_;  // one per bound plus +Inf
  double sum_ = 0;
  std::size_t pending_ = 0;
};

}  // namespace anomstream::daemon
