#pragma once
// anomstreamd assembled: metrics exposer, audit log, alert hub, per-worker bounded
// queues and worker threads, admission, the gRPC server and the UDP listener.
// start() runs named steps in dependency order (daemon_start.cpp); stop() drains in
// reverse: refuse new input, stop the transports, close the queues, let the workers
// drain them, flush the sinks and the audit log.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "config/config.hpp"
#include "ingest/admission.hpp"
#include "ingest/grpc_service.hpp"
#include "ingest/udp_listener.hpp"
#include "metrics/daemon_metrics.hpp"
#include "sink/alert_hub.hpp"
#include "worker/worker.hpp"

namespace anomstream::daemon {

struct BoundPorts {
  std::uint16_t grpc = 0;
  std::uint16_t udp = 0;
  std::uint16_t metrics = 0;
};

class Daemon {
 public:
  Daemon(DaemonConfig config, std::string config_source);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::expected<BoundPorts, std::string> start();
  // Drains and flushes; returns false if the deadline passed first.
  bool stop(std::chrono::milliseconds deadline);
  // SIGHUP: reopens the audit log at its path (after logrotate moved the file away).
  void reopen_logs();

 private:
  using StepResult = std::expected<void, std::string>;
  // The start steps, in order (daemon_start.cpp).
  StepResult serve_metrics();
  StepResult open_audit();
  StepResult open_sinks();
  StepResult build_admission();
  StepResult start_workers();
  StepResult start_grpc();
  StepResult start_udp();

  void fill_status(v1::StatusReply& reply) const;
  bool handle_feedback(const v1::Feedback& feedback);
  std::int64_t now_ns() const;

  DaemonConfig config_;
  std::string config_source_;
  std::int64_t started_ns_ = 0;
  BoundPorts ports_;
  std::unique_ptr<DaemonMetrics> metrics_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<AlertHub> hub_;
  std::unique_ptr<Admission> admission_;
  std::vector<hotpath::Receiver<WorkItem>> receivers_;  // until the workers take them
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<GrpcIngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<UdpListener> udp_;
  bool stopped_ = false;
};

PipelineSettings pipeline_settings(const DaemonConfig& config);

}  // namespace anomstream::daemon
