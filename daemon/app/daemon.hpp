#pragma once
// anomstreamd assembled: HTTP endpoint (metrics, health), state store, audit log, alert hub, per-worker
// bounded queues and worker threads, admission, the gRPC server and the UDP listener.
// start() runs named steps in dependency order (daemon_start.cpp). stop() refuses new
// input, closes the queues, lets the workers drain them until the deadline (what is
// still queued then is counted as dropped, reason shutdown) and write their final
// snapshots, delivers the drained alerts to every subscriber before ending its stream,
// then stops the transports and flushes the state store, the sinks and the audit log.
// reload() re-reads the configuration file and applies what can change live.
// Secret keys: every keyed hash the daemon runs (the shard and stream-dimension hashes,
// the keyed sampler, the rate cap, each worker's tenant index) gets its own fresh key
// from one SecretKeyDrawer, at start or, for the sampler and the rate cap, at the reload
// that rebuilds them. A refused draw fails that start step or reload; there is no
// fallback key.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "anomstream/core/secret_key.hpp"
#include "audit/audit_log.hpp"
#include "cluster/cluster_node.hpp"
#include "config/config.hpp"
#include "ingest/admission.hpp"
#include "ingest/grpc_service.hpp"
#include "ingest/udp_listener.hpp"
#include "metrics/daemon_metrics.hpp"
#include "metrics/http_endpoint.hpp"
#include "persist/state_store.hpp"
#include "sink/alert_hub.hpp"
#include "worker/worker.hpp"

namespace anomstream::daemon {

struct BoundPorts {
  std::uint16_t grpc = 0;
  std::uint16_t udp = 0;
  std::uint16_t metrics = 0;
};

struct ReloadResult {
  bool ok = false;
  std::string message;                    // the error, or what was applied
  std::vector<std::string> restart_keys;  // changed keys that take effect at the next start
};

class Daemon {
 public:
  // `config_path` is the file a reload re-reads (empty: the built-in defaults);
  // `draw_key` gives every secret key (tests replace it to count draws or refuse one).
  Daemon(LoadedConfig config, std::string config_path, SecretKeyDrawer draw_key = draw_secret_key);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::expected<BoundPorts, std::string> start();
  // Drains (until the configured deadline), snapshots and flushes; false if the drain
  // ran out of time.
  bool stop();
  // Re-reads and validates the configuration; an invalid one changes nothing.
  ReloadResult reload();
  // Whether every worker's loop turned within `window` (what the watchdog reports).
  [[nodiscard]] bool workers_alive(std::chrono::nanoseconds window) const;
  // Why the daemon is not ready (empty when it is): starting, draining, the audit log or
  // the state store failing to write.
  [[nodiscard]] std::string not_ready_reason() const;
  // The accounting identity's terms, as key=value fields for the stop line:
  // received = scored + rate_capped + rejected + dropped.
  [[nodiscard]] std::string accounting() const;

 private:
  using StepResult = std::expected<void, std::string>;
  // The start steps, in order (daemon_start.cpp).
  StepResult check_exposure();
  StepResult serve_metrics();
  StepResult open_state();
  StepResult open_audit();
  StepResult open_sinks();
  StepResult build_admission();
  StepResult connect_cluster();
  StepResult start_workers();
  StepResult start_cluster();
  StepResult open_access();
  StepResult start_grpc();
  StepResult start_udp();

  void reopen_sinks(const std::string& json_lines);
  std::expected<std::shared_ptr<grpc::ServerCredentials>, std::string> grpc_credentials() const;
  void fill_status(v1::StatusReply& reply) const;
  // Routes a verdict to the worker owning `tenant` and waits (bounded) for its answer.
  grpc::Status handle_feedback(const v1::Feedback& feedback, const std::string& tenant, v1::FeedbackReply& reply);
  // Fetches a copy of the alert's stream model from its worker and runs SAGE on it here,
  // on the calling thread, at most triage.explain.max_concurrent at once.
  grpc::Status handle_explain(const v1::ExplainRequest& request, const std::string& tenant, v1::ExplainReply& reply);
  void audit(std::string_view kind, const std::string& payload);
  std::int64_t now_ns() const;

  DaemonConfig config_;
  SecretKeyDrawer draw_key_;
  YAML::Node document_;
  std::string config_path_;
  std::string config_source_;
  std::int64_t started_ns_ = 0;
  BoundPorts ports_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::unique_ptr<DaemonMetrics> metrics_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<AlertHub> hub_;
  std::unique_ptr<LiveSettings> settings_;
  std::unique_ptr<ClusterNode> cluster_;  // scale-out; outlives the transports that publish through it
  std::unique_ptr<Admission> admission_;
  std::vector<hotpath::Receiver<WorkItem>> receivers_;  // until the workers take them
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<AccessControl> access_;
  std::atomic<int> explaining_{0};  // ExplainAlert calls running
  std::unique_ptr<GrpcIngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<UdpListener> udp_;
  std::unique_ptr<HttpEndpoint> http_;  // last: it answers /readyz until the daemon is gone
  bool stopped_ = false;
};

PipelineSettings pipeline_settings(const DaemonConfig& config);
// A fresh key from `draw_key`, or "secret key for <purpose>: <error>".
std::expected<SipKey, std::string> secret_key_for(const SecretKeyDrawer& draw_key, std::string_view purpose);
// The sampler and rate cap `config` asks for, each keyed with its own fresh key.
std::expected<AdmissionPolicy, std::string> admission_policy(const DaemonConfig& config,
                                                             const SecretKeyDrawer& draw_key);

}  // namespace anomstream::daemon
