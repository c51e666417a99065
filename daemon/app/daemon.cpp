#include "app/daemon.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <future>

#include "sink/alert_json.hpp"
#include "version.hpp"

namespace anomstream::daemon {
PipelineSettings pipeline_settings(const DaemonConfig& c) {
  PipelineSettings s;
  s.normalizer = c.pipeline.normalizer;
  s.num_trees = static_cast<std::size_t>(c.pipeline.num_trees);
  s.sample_size = static_cast<std::size_t>(c.pipeline.sample_size);
  s.seed = c.pipeline.seed;
  s.time_decay = c.pipeline.time_decay;
  s.output_after = static_cast<std::size_t>(c.pipeline.output_after);
  s.z_factor = c.pipeline.z_factor;
  s.min_score = c.pipeline.min_score;
  s.severity_thresholds = c.pipeline.severity_thresholds;
  s.top_features = static_cast<std::size_t>(c.pipeline.top_features);
  return s;
}

Daemon::Daemon(DaemonConfig config, std::string config_source)
    : config_(std::move(config)), config_source_(std::move(config_source)) {}

Daemon::~Daemon() { stop(std::chrono::milliseconds(config_.shutdown_deadline_ms)); }

std::int64_t Daemon::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

bool Daemon::stop(std::chrono::milliseconds deadline) {
  if (stopped_) return true;
  stopped_ = true;
  const auto until = std::chrono::steady_clock::now() + deadline;
  if (admission_) admission_->shut_down();
  if (udp_) udp_->stop();
  if (service_) service_->stop_watchers();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + deadline);
  // Destroying the admission drops the last senders: the queues close, and each worker
  // drains what is left before its thread ends.
  admission_.reset();
  bool in_time = true;
  for (auto& worker : workers_) {
    auto joined = std::async(std::launch::async, [&worker] { worker->join(); });
    if (joined.wait_until(until) != std::future_status::ready) in_time = false;
    joined.wait();
  }
  if (hub_) {
    if (audit_) {
      const std::string payload = "{\"event\":\"stop\",\"alerts\":" + std::to_string(hub_->published()) + "}";
      if (audit_->append(now_ns(), "stop", payload)) metrics_->audit_entries().Increment();
    }
    hub_->flush(true);
  }
  return in_time;
}

void Daemon::reopen_logs() {
  if (!audit_) return;
  if (auto reopened = audit_->reopen(); !reopened) {
    spdlog::error("event=audit_reopen_failed error=\"{}\"", reopened.error());
  }
}

void Daemon::fill_status(v1::StatusReply& reply) const {
  reply.set_version(VERSION);
  reply.set_started_ns(started_ns_);
  std::uint64_t scored = 0, tenants = 0;
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    auto* status = reply.add_workers();
    status->set_index(static_cast<std::uint32_t>(w));
    status->set_queue_depth(workers_[w]->queue_depth());
    status->set_queue_capacity(workers_[w]->queue_capacity());
    status->set_tenants(workers_[w]->tenants());
    status->set_scored(workers_[w]->scored());
    scored += workers_[w]->scored();
    tenants += workers_[w]->tenants();
  }
  reply.set_received(static_cast<std::uint64_t>(metrics_->received(Transport::grpc).Value() +
                                                metrics_->received(Transport::udp).Value()));
  reply.set_scored(scored);
  reply.set_alerts(hub_->published());
  reply.set_live_tenants(tenants);
}

bool Daemon::handle_feedback(const v1::Feedback& feedback) {
  // Alert ids end in the daemon-wide sequence number: "<tenant>/<stream>/<sequence>".
  const auto& id = feedback.alert_id();
  const auto slash = id.rfind('/');
  std::uint64_t sequence = 0;
  const char* first = id.data() + (slash == std::string::npos ? 0 : slash + 1);
  const auto [ptr, ec] = std::from_chars(first, id.data() + id.size(), sequence);
  const bool known = ec == std::errc() && ptr == id.data() + id.size() && sequence >= 1 &&
                     sequence <= hub_->published();
  if (audit_) {
    std::string payload = "{\"alert_id\":";
    append_json_string(payload, id);
    payload += ",\"verdict\":\"" + v1::Verdict_Name(feedback.verdict()) + "\",\"known\":" +
               (known ? "true" : "false") + ",\"note\":";
    append_json_string(payload, feedback.note());
    payload += "}";
    if (audit_->append(now_ns(), "feedback", payload)) metrics_->audit_entries().Increment();
  }
  spdlog::info("event=feedback alert_id={} verdict={} known={}", id, v1::Verdict_Name(feedback.verdict()), known);
  return known;
}

}  // namespace anomstream::daemon
