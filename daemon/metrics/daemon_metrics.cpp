#include "metrics/daemon_metrics.hpp"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <sstream>

namespace anomstream::daemon {

std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::malformed: return "malformed";
    case RejectReason::oversized: return "oversized";
    case RejectReason::empty_batch: return "empty_batch";
    case RejectReason::missing_tenant: return "missing_tenant";
    case RejectReason::invalid_name: return "invalid_name";
    case RejectReason::empty_values: return "empty_values";
    case RejectReason::dimension_too_large: return "dimension_too_large";
    case RejectReason::dimension_mismatch: return "dimension_mismatch";
    case RejectReason::non_finite: return "non_finite";
    case RejectReason::shutting_down: return "shutting_down";
    case RejectReason::no_capacity: return "no_capacity";
    case RejectReason::unauthenticated: return "unauthenticated";
    case RejectReason::unauthorized: return "unauthorized";
    case RejectReason::out_of_range: return "out_of_range";
    case RejectReason::tenant_limit: return "tenant_limit";
    case RejectReason::publish_failed: return "publish_failed";
  }
  return "unknown";
}

namespace {
constexpr std::array<std::string_view, SEVERITY_COUNT> SEVERITY_LABELS = {
    "none", "low", "medium", "high", "critical"};
}

DaemonMetrics::DaemonMetrics(std::size_t workers)
    : registry_(std::make_shared<prometheus::Registry>()) {
  auto& received = prometheus::BuildCounter()
                       .Name("anomstream_ingest_observations_received_total")
                       .Help("Observations that reached the daemon, by transport")
                       .Register(*registry_);
  received_[0] = &received.Add({{"transport", "grpc"}});
  received_[1] = &received.Add({{"transport", "udp"}});

  auto& rejected = prometheus::BuildCounter()
                       .Name("anomstream_ingest_observations_rejected_total")
                       .Help("Observations rejected before scoring, by reason")
                       .Register(*registry_);
  for (std::size_t r = 0; r < REJECT_REASON_COUNT; ++r) {
    rejected_[r] = &rejected.Add({{"reason", std::string(to_string(static_cast<RejectReason>(r)))}});
  }
  accepted_ = &prometheus::BuildCounter()
                   .Name("anomstream_ingest_observations_accepted_total")
                   .Help("Observations queued for scoring")
                   .Register(*registry_)
                   .Add({});
  rate_capped_ = &prometheus::BuildCounter()
                      .Name("anomstream_ingest_observations_rate_capped_total")
                      .Help("Observations refused by the per-prefix rate cap")
                      .Register(*registry_)
                      .Add({});
  auto& dropped = prometheus::BuildCounter()
                      .Name("anomstream_ingest_observations_dropped_total")
                      .Help("Accepted observations dropped before scoring: a full worker queue, or still queued "
                            "when the stop's drain deadline passed")
                      .Register(*registry_);
  dropped_[static_cast<std::size_t>(DropReason::queue_full)] = &dropped.Add({{"reason", "queue_full"}});
  dropped_[static_cast<std::size_t>(DropReason::shutdown)] = &dropped.Add({{"reason", "shutdown"}});
  scored_ = &prometheus::BuildCounter()
                 .Name("anomstream_worker_observations_scored_total")
                 .Help("Observations scored by the workers")
                 .Register(*registry_)
                 .Add({});
  sampled_out_ = &prometheus::BuildCounter()
                      .Name("anomstream_ingest_observations_sampled_out_total")
                      .Help("Accepted observations the update sampler keeps out of the model (still scored)")
                      .Register(*registry_)
                      .Add({});
  auto& depth = prometheus::BuildGauge()
                    .Name("anomstream_worker_queue_depth")
                    .Help("Observations waiting in each worker's queue")
                    .Register(*registry_);
  for (std::size_t w = 0; w < workers; ++w) {
    queue_depth_.push_back(&depth.Add({{"worker", std::to_string(w)}}));
  }
  auto& cpu = prometheus::BuildCounter()
                  .Name("anomstream_worker_cpu_seconds_total")
                  .Help("CPU time each worker thread has used (scoring; waiting costs none)")
                  .Register(*registry_);
  for (std::size_t w = 0; w < workers; ++w) {
    worker_cpu_.push_back(&cpu.Add({{"worker", std::to_string(w)}}));
  }
  latency_ = &prometheus::BuildHistogram()
                  .Name("anomstream_worker_scoring_latency_seconds")
                  .Help("Time from receipt to the end of scoring (and alert emission)")
                  .Register(*registry_)
                  .Add({}, LATENCY_BUCKETS);
  auto& alerts = prometheus::BuildCounter()
                     .Name("anomstream_alerts_total")
                     .Help("Alerts emitted, by severity")
                     .Register(*registry_);
  for (std::size_t s = 0; s < SEVERITY_COUNT; ++s) {
    alerts_[s] = &alerts.Add({{"severity", std::string(SEVERITY_LABELS[s])}});
  }
  live_tenants_ = &prometheus::BuildGauge()
                       .Name("anomstream_tenants_live")
                       .Help("Tenants with detector state in memory")
                       .Register(*registry_)
                       .Add({});
  evictions_ = &prometheus::BuildCounter()
                    .Name("anomstream_pool_evictions_total")
                    .Help("Tenant detector states evicted by the pool's LRU bound")
                    .Register(*registry_)
                    .Add({});
  stream_evictions_ = &prometheus::BuildCounter()
                           .Name("anomstream_tenant_streams_evicted_total")
                           .Help("Streams evicted from their tenant by max_streams_per_tenant or max_bytes_per_tenant "
                                 "(saved first when state is persisted)")
                           .Register(*registry_)
                           .Add({});
  audit_entries_ = &prometheus::BuildCounter()
                        .Name("anomstream_audit_entries_total")
                        .Help("Entries appended to the audit log")
                        .Register(*registry_)
                        .Add({});
  audit_write_errors_ = &prometheus::BuildCounter()
                             .Name("anomstream_audit_write_errors_total")
                             .Help("Failed writes and syncs of the audit log (ENOSPC, EIO, short writes)")
                             .Register(*registry_)
                             .Add({});
  watch_dropped_ = &prometheus::BuildCounter()
                        .Name("anomstream_sink_watch_alerts_dropped_total")
                        .Help("Alerts a WatchAlerts subscriber lost because its buffer was full (summed over subscribers)")
                        .Register(*registry_)
                        .Add({});
  auto& pass = prometheus::BuildGauge()
                   .Name("anomstream_state_snapshot_pass_seconds")
                   .Help("Seconds each worker spent encoding state snapshots during its last snapshot "
                         "interval (or its final snapshot at stop)")
                   .Register(*registry_);
  for (std::size_t w = 0; w < workers; ++w) {
    state_pass_seconds_.push_back(&pass.Add({{"worker", std::to_string(w)}}));
  }
  auto& reloads = prometheus::BuildCounter()
                      .Name("anomstream_config_reloads_total")
                      .Help("Configuration reloads (SIGHUP), by result: ok, or error (the running "
                            "configuration is kept)")
                      .Register(*registry_);
  config_reloads_[0] = &reloads.Add({{"result", "ok"}});
  config_reloads_[1] = &reloads.Add({{"result", "error"}});
  sink_errors_ = &prometheus::BuildCounter()
                      .Name("anomstream_sink_write_errors_total")
                      .Help("Failed writes to the JSON-lines alert sink or the audit log")
                      .Register(*registry_)
                      .Add({});
  alert_echoes_ = &prometheus::BuildCounter()
                      .Name("anomstream_pipeline_alert_echoes_total")
                      .Help("Observations above a window detector's threshold only because its window still holds "
                            "a row an earlier alert of the stream reported (no new alert raised)")
                      .Register(*registry_)
                      .Add({});
  alerts_suppressed_ = &prometheus::BuildCounter()
                           .Name("anomstream_alerts_suppressed_total")
                           .Help("Alerts not raised because an analyst marked a similar alert of the stream a "
                                 "false positive (each still written to the audit log)")
                           .Register(*registry_)
                           .Add({});
  cluster_alerts_muted_ = &prometheus::BuildCounter()
                              .Name("anomstream_cluster_alerts_muted_total")
                              .Help("Scale-out: alerts of messages replayed at a partition hand-off, already raised "
                                    "by the partition's previous owner (remembered, not raised again)")
                              .Register(*registry_)
                              .Add({});
  auto& feedback = prometheus::BuildCounter()
                       .Name("anomstream_feedback_verdicts_total")
                       .Help("Analyst verdicts received through SubmitFeedback, by result")
                       .Register(*registry_);
  feedback_[0] = &feedback.Add({{"result", "recorded"}});
  feedback_[1] = &feedback.Add({{"result", "not_found"}});
  feedback_[2] = &feedback.Add({{"result", "refused"}});
  feedback_[3] = &feedback.Add({{"result", "failed"}});
  values_clipped_ = &prometheus::BuildCounter()
                        .Name("anomstream_pipeline_values_clipped_total")
                        .Help("Feature values that entered a stream's normaliser statistics clipped "
                              "(beyond its clip bound, e.g. one 1e30), so they could not blind the stream")
                        .Register(*registry_)
                        .Add({});
  sink_dropped_ = &prometheus::BuildCounter()
                       .Name("anomstream_sink_alerts_dropped_total")
                       .Help("Alerts raised but lost before the sinks: the sink queue was full (a sink "
                             "stalled), or still queued at the stop's deadline; their sequence numbers "
                             "are gaps")
                       .Register(*registry_)
                       .Add({});
  sink_queue_depth_ = &prometheus::BuildGauge()
                           .Name("anomstream_sink_queue_depth")
                           .Help("Alerts waiting for the sink thread")
                           .Register(*registry_)
                           .Add({});
  watch_subscribers_ = &prometheus::BuildGauge()
                            .Name("anomstream_sink_watch_subscribers")
                            .Help("WatchAlerts streams open")
                            .Register(*registry_)
                            .Add({});
  watch_refused_ = &prometheus::BuildCounter()
                        .Name("anomstream_sink_watch_refused_total")
                        .Help("WatchAlerts calls refused because sinks.watch.max_subscribers were open")
                        .Register(*registry_)
                        .Add({});
}

WorkerMetricsBatch::WorkerMetricsBatch(DaemonMetrics& metrics)
    : metrics_(metrics), buckets_(LATENCY_BUCKETS.size() + 1, 0.0) {}

void WorkerMetricsBatch::scored(double latency_seconds) noexcept {
  const auto bucket = std::lower_bound(LATENCY_BUCKETS.begin(), LATENCY_BUCKETS.end(), latency_seconds);
  buckets_[static_cast<std::size_t>(bucket - LATENCY_BUCKETS.begin())] += 1;
  sum_ += latency_seconds;
  ++pending_;
}

void WorkerMetricsBatch::flush() {
  if (pending_ == 0) return;
  metrics_.scored().Increment(static_cast<double>(pending_));
  metrics_.scoring_latency().ObserveMultiple(buckets_, sum_);
  std::fill(buckets_.begin(), buckets_.end(), 0.0);
  sum_ = 0;
  pending_ = 0;
}

std::string DaemonMetrics::text() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return std::move(out).str();
}

}  // namespace anomstream::daemon
