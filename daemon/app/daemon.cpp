#include "app/daemon.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <future>

#include "sink/alert_json.hpp"
#include "version.hpp"

namespace anomstream::daemon {
namespace {

std::string host_port(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

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

std::expected<BoundPorts, std::string> Daemon::start() {
  started_ns_ = now_ns();
  BoundPorts ports;
  const auto workers = static_cast<std::size_t>(config_.worker_count);

  metrics_ = std::make_unique<DaemonMetrics>(workers);
  try {
    const int port = metrics_->serve(config_.metrics_listen.host, config_.metrics_listen.port);
    if (port < 0) return std::unexpected("server.metrics.listen: the exposer did not bind");
    ports.metrics = static_cast<std::uint16_t>(port);
  } catch (const std::exception& e) {
    return std::unexpected("server.metrics.listen: cannot listen on " +
                           host_port(config_.metrics_listen.host, config_.metrics_listen.port) + ": " + e.what());
  }

  if (!config_.audit.path.empty()) {
    auto audit = AuditLog::open({config_.audit.path, config_.audit.key_file, config_.audit.key_env});
    if (!audit) return std::unexpected(audit.error());
    audit_ = std::move(*audit);
    std::string payload = "{\"event\":\"config_load\",\"source\":";
    append_json_string(payload, config_source_);
    payload += ",\"version\":\"" + std::string(VERSION) + "\"}";
    if (audit_->append(now_ns(), "config_load", payload)) metrics_->audit_entries().Increment();
  }

  hub_ = std::make_unique<AlertHub>(*metrics_, audit_.get(), config_.json_lines);
  if (!hub_->sink_ok()) return std::unexpected("sinks.json_lines: cannot open \"" + config_.json_lines + "\"");

  auto sampler = config_.sampler.mode == "keyed"
                     ? hotpath::UpdateSampler::keyed(config_.sampler.rate)
                     : hotpath::UpdateSampler::every(static_cast<std::uint64_t>(config_.sampler.every));
  if (!sampler) return std::unexpected("hotpath.sampler: " + sampler.error().message());
  auto rate_cap = hotpath::PrefixRateCap::disabled();
  if (config_.rate_cap.enabled) {
    hotpath::PrefixRateCapConfig cap_config;
    cap_config.cap_per_window = static_cast<std::uint64_t>(config_.rate_cap.per_window);
    cap_config.window = std::chrono::milliseconds(config_.rate_cap.window_ms);
    auto cap = hotpath::PrefixRateCap::create(cap_config);
    if (!cap) return std::unexpected("hotpath.rate_cap: " + cap.error().message());
    rate_cap = std::move(*cap);
  }

  std::vector<hotpath::Sender<WorkItem>> senders;
  std::vector<hotpath::Receiver<WorkItem>> receivers;
  for (std::size_t w = 0; w < workers; ++w) {
    auto channel = hotpath::try_update_channel<WorkItem>(static_cast<std::size_t>(config_.queue_capacity));
    if (!channel) return std::unexpected("workers.queue_capacity: " + channel.error().message());
    senders.push_back(std::move(channel->first));
    receivers.push_back(std::move(channel->second));
  }
  AdmissionLimits limits;
  limits.max_dimension = static_cast<std::size_t>(config_.max_dimension);
  limits.fixed_dimension = static_cast<std::size_t>(config_.pipeline.dimension);
  limits.max_streams = static_cast<std::size_t>(config_.max_streams);
  admission_ = std::make_unique<Admission>(limits, *metrics_, std::move(senders), std::move(*sampler),
                                           std::move(rate_cap));

  const auto settings = pipeline_settings(config_);
  forest::TenantForestPoolConfig pool;
  pool.max_forests = std::max<std::size_t>(1, static_cast<std::size_t>(config_.max_tenants) / workers);
  pool.max_bytes = static_cast<std::size_t>(config_.max_tenant_bytes) / workers;
  if (auto valid = forest::validate_pool_config(pool); !valid) {
    return std::unexpected("tenants: " + valid.error().message());
  }
  for (std::size_t w = 0; w < workers; ++w) {
    workers_.push_back(std::make_unique<Worker>(w, std::move(receivers[w]), admission_->enqueued(w), settings,
                                                pool, *hub_, *metrics_));
    workers_.back()->start();
  }

  service_ = std::make_unique<GrpcIngestService>(
      *admission_, *hub_, static_cast<std::size_t>(config_.max_batch),
      [this](v1::StatusReply& reply) { fill_status(reply); },
      [this](const v1::Feedback& feedback) { return handle_feedback(feedback); });
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(host_port(config_.grpc.listen.host, config_.grpc.listen.port),
                           grpc::InsecureServerCredentials(), &grpc_port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.grpc.max_message_bytes));
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port == 0) {
    return std::unexpected("server.grpc.listen: cannot listen on " +
                           host_port(config_.grpc.listen.host, config_.grpc.listen.port));
  }
  ports.grpc = static_cast<std::uint16_t>(grpc_port);

  udp_ = std::make_unique<UdpListener>(*admission_, static_cast<std::size_t>(config_.udp.max_datagram_bytes),
                                       static_cast<std::size_t>(config_.max_batch));
  auto udp_port = udp_->start(config_.udp.listen.host, config_.udp.listen.port);
  if (!udp_port) return std::unexpected(udp_port.error());
  ports.udp = *udp_port;
  return ports;
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
