// Daemon::start as a list of named steps, each in dependency order and each returning
// the error the caller reports ("<step>: <error>"); a failed step stops the start and
// the destructor tears down what the earlier steps built.

#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <array>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/secret_file.hpp"

#include "app/daemon.hpp"
#include "sink/alert_json.hpp"
#include "version.hpp"

namespace anomstream::daemon {
namespace {

std::string host_port(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// 127.0.0.0/8, ::1 and "localhost": only this host can connect.
bool loopback(const std::string& host) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return host == "localhost";
  return address.is_loopback();
}

std::expected<std::string, std::string> read_pem(const std::string& path, std::string_view setting, bool secret) {
  if (secret) return read_secret_file(path, setting);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::string(setting) + ": cannot read \"" + path + "\"");
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

TriageSettings triage_settings(const DaemonConfig& config, const Fingerprint& fingerprint) {
  const auto& t = config.triage;
  constexpr std::int64_t S = 1'000'000'000;
  TriageSettings out;
  out.recent_alerts = static_cast<std::size_t>(t.recent_alerts);
  out.top_features = static_cast<std::size_t>(config.pipeline.top_features);
  out.cluster_bits = static_cast<std::size_t>(t.cluster_bits);
  out.cluster_window_ns = t.cluster_window_s * S;
  out.cluster_probe = t.cluster_probe;
  out.cluster_entries = static_cast<std::size_t>(t.cluster_max_entries);
  out.feedback_bits = static_cast<std::size_t>(t.feedback_bits);
  out.feedback_features = static_cast<std::size_t>(t.feedback_features);
  out.feedback_entries = static_cast<std::size_t>(t.feedback_max_entries);
  out.false_positive_ttl_ns = t.false_positive_ttl_s * S;
  out.benign_ttl_ns = t.benign_ttl_s * S;
  out.true_positive_ttl_ns = t.true_positive_ttl_s * S;
  out.escalation = t.escalation;
  out.benign_factor = t.benign_factor;
  out.model_version = std::string(VERSION) + "/" + to_hex(fingerprint).substr(0, 12);
  return out;
}

}  // namespace

std::expected<BoundPorts, std::string> Daemon::start() {
  started_ns_ = now_ns();
  struct Step {
    std::string_view name;
    StepResult (Daemon::*run)();
  };
  static constexpr std::array STEPS{
      Step{"check_exposure", &Daemon::check_exposure},
      Step{"serve_metrics", &Daemon::serve_metrics},
      Step{"open_state", &Daemon::open_state},
      Step{"open_audit", &Daemon::open_audit},
      Step{"open_sinks", &Daemon::open_sinks},
      Step{"build_admission", &Daemon::build_admission},
      Step{"connect_cluster", &Daemon::connect_cluster},
      Step{"start_workers", &Daemon::start_workers},
      Step{"start_cluster", &Daemon::start_cluster},
      Step{"open_access", &Daemon::open_access},
      Step{"start_grpc", &Daemon::start_grpc},
      Step{"start_udp", &Daemon::start_udp},
  };
  for (const Step& step : STEPS) {
    if (auto done = (this->*step.run)(); !done) {
      return std::unexpected(std::string(step.name) + ": " + done.error());
    }
    spdlog::debug("event=start_step step={}", step.name);
  }
  ready_ = true;
  return ports_;
}

// Every listener outside the loopback interface must authenticate its clients: gRPC with
// TLS or tokens, UDP with signed datagrams, /metrics with basic auth. Otherwise the
// daemon refuses to start, unless server.allow_insecure_remote (then it warns).
Daemon::StepResult Daemon::check_exposure() {
  struct Listener {
    const char* key;
    const Endpoint& endpoint;
    bool protected_by;
    const char* needs;
  };
  const Listener listeners[] = {
      {"server.grpc.listen", config_.grpc.listen,
       !config_.grpc.tls.cert_file.empty() || !config_.grpc.tokens_file.empty(),
       "server.grpc.tls (cert_file, key_file) or server.grpc.auth.tokens_file"},
      {"server.udp.listen", config_.udp.listen, !config_.udp.keys_file.empty(), "server.udp.auth.keys_file"},
      {"server.metrics.listen", config_.metrics_listen, !config_.metrics_basic_auth_file.empty(),
       "server.metrics.auth.basic_file"},
  };
  for (const auto& l : listeners) {
    if (loopback(l.endpoint.host) || l.protected_by) continue;
    if (!config_.allow_insecure_remote) {
      return std::unexpected(std::string(l.key) + ": " + l.endpoint.host + " is not a loopback address, so it needs " +
                             l.needs + " (or server.allow_insecure_remote: true)");
    }
    spdlog::warn("event=insecure_listener key={} address={} detail=\"anyone who reaches it can use it without "
                 "credentials (server.allow_insecure_remote)\"",
                 l.key, host_port(l.endpoint.host, l.endpoint.port));
  }
  return {};
}

Daemon::StepResult Daemon::open_access() {
  auto access = AccessControl::open(config_.grpc.tokens_file);
  if (!access) return std::unexpected(access.error());
  access_ = std::move(*access);
  return {};
}

Daemon::StepResult Daemon::serve_metrics() {
  metrics_ = std::make_unique<DaemonMetrics>(static_cast<std::size_t>(config_.worker_count));
  HttpHandlers handlers{.metrics = [this] { return metrics_->text(); },
                        .not_ready = [this] { return not_ready_reason(); },
                        .authorized = {}};
  if (!config_.metrics_basic_auth_file.empty()) {
    auto credentials = BasicCredentials::load(config_.metrics_basic_auth_file);
    if (!credentials) return std::unexpected(credentials.error());
    handlers.authorized = [credentials = std::move(*credentials)](std::string_view header) {
      return credentials.accepts(header);
    };
  }
  auto http = HttpEndpoint::start(config_.metrics_listen.host, config_.metrics_listen.port, std::move(handlers));
  if (!http) return std::unexpected("server.metrics.listen: " + http.error());
  http_ = std::move(*http);
  ports_.metrics = http_->port();
  return {};
}

Daemon::StepResult Daemon::open_state() {
  if (config_.state.dir.empty()) return {};
  auto key = secret_key_for(draw_key_, "the state write queue");
  if (!key) return std::unexpected(key.error());
  auto store = StateStore::open({.dir = config_.state.dir, .index_key = *key}, *metrics_->registry());
  if (!store) return std::unexpected(store.error());
  store_ = std::move(*store);
  spdlog::info("event=state_dir path=\"{}\" snapshot_interval_s={}", config_.state.dir,
               config_.state.snapshot_interval_s);
  return {};
}

Daemon::StepResult Daemon::open_audit() {
  if (config_.audit.path.empty()) return {};
  AuditSettings settings;
  settings.path = config_.audit.path;
  settings.key_file = config_.audit.key_file;
  settings.key_env = config_.audit.key_env;
  settings.previous_key_file = config_.audit.previous_key_file;
  settings.fsync = parse_audit_fsync(config_.audit.fsync).value_or(AuditFsync::interval);
  settings.fsync_interval = std::chrono::milliseconds(config_.audit.fsync_interval_ms);
  settings.rotate_bytes = static_cast<std::uint64_t>(config_.audit.rotate_bytes);
  AuditHooks hooks;
  hooks.write_errors = &metrics_->audit_write_errors();
  auto opened = AuditLog::open(settings, std::move(hooks));
  if (!opened) return std::unexpected(opened.error());
  audit_ = std::move(*opened);
  std::string payload = "{\"event\":\"config_load\",\"source\":";
  append_json_string(payload, config_source_);
  payload += ",\"version\":\"" + std::string(VERSION) + "\"}";
  audit("config_load", payload);
  return {};
}

Daemon::StepResult Daemon::open_sinks() {
  AlertSinkLimits limits;
  limits.queue_capacity = static_cast<std::size_t>(config_.sink.queue_capacity);
  limits.max_subscribers = static_cast<std::size_t>(config_.sink.max_subscribers);
  limits.subscriber_capacity = static_cast<std::size_t>(config_.sink.subscriber_capacity);
  hub_ = std::make_unique<AlertHub>(*metrics_, audit_.get(), config_.json_lines, limits, config_.records);
  if (!hub_->sink_ok()) return std::unexpected("sinks.json_lines: cannot open \"" + config_.json_lines + "\"");
  if (!hub_->records_ok()) return std::unexpected("sinks.records: cannot open \"" + config_.records + "\"");
  return {};
}

Daemon::StepResult Daemon::build_admission() {
  const auto workers = static_cast<std::size_t>(config_.worker_count);
  auto policy = admission_policy(config_, draw_key_);
  if (!policy) return std::unexpected(policy.error());
  auto shard_key = secret_key_for(draw_key_, "the worker shard hash");
  if (!shard_key) return std::unexpected(shard_key.error());
  auto streams_key = secret_key_for(draw_key_, "the stream dimension registry");
  if (!streams_key) return std::unexpected(streams_key.error());
  auto tenants_key = secret_key_for(draw_key_, "the tenant registry");
  if (!tenants_key) return std::unexpected(tenants_key.error());
  std::vector<hotpath::Sender<WorkItem>> senders;
  for (std::size_t w = 0; w < workers; ++w) {
    auto channel = hotpath::try_update_channel<WorkItem>(static_cast<std::size_t>(config_.queue_capacity));
    if (!channel) return std::unexpected("workers.queue_capacity: " + channel.error().message());
    senders.push_back(std::move(channel->first));
    receivers_.push_back(std::move(channel->second));
  }
  AdmissionLimits limits;
  limits.max_dimension = static_cast<std::size_t>(config_.max_dimension);
  limits.fixed_dimension = static_cast<std::size_t>(config_.pipeline.dimension);
  limits.max_streams = static_cast<std::size_t>(config_.max_streams);
  limits.max_abs_value = config_.max_abs_value;
  limits.tenants.capacity = static_cast<std::size_t>(std::max<std::int64_t>(1024, 4 * config_.max_tenants));
  limits.tenants.new_per_second = config_.per_tenant.new_per_second;
  limits.tenants.new_burst = static_cast<double>(config_.per_tenant.new_burst);
  limits.tenants.per_tenant_rate = config_.per_tenant.max_rate;
  limits.tenants.per_tenant_burst = static_cast<double>(config_.per_tenant.rate_burst);
  admission_ = std::make_unique<Admission>(
      limits, *metrics_, std::move(senders), std::move(*policy),
      AdmissionKeys{.shard = *shard_key, .streams = *streams_key, .tenants = *tenants_key});
  return {};
}

Daemon::StepResult Daemon::start_workers() {
  const auto workers = static_cast<std::size_t>(config_.worker_count);
  settings_ = std::make_unique<LiveSettings>(pipeline_settings(config_));
  WorkerContext context;
  context.settings = settings_.get();
  context.pool.max_forests = std::max<std::size_t>(1, static_cast<std::size_t>(config_.max_tenants) / workers);
  context.pool.max_bytes = static_cast<std::size_t>(config_.max_tenant_bytes) / workers;
  if (auto valid = forest::validate_pool_config(context.pool); !valid) {
    return std::unexpected("tenants: " + valid.error().message());
  }
  context.max_streams_per_tenant = static_cast<std::size_t>(config_.per_tenant.max_streams);
  context.max_bytes_per_tenant = static_cast<std::size_t>(config_.per_tenant.max_bytes);
  context.store = store_.get();
  context.fingerprint = model_fingerprint(settings_->get());
  context.snapshot_interval = std::chrono::seconds(config_.state.snapshot_interval_s);
  context.triage = triage_settings(config_, context.fingerprint);
  // Each worker's tenant index and each tenant's stream index under keys of their own
  // (tenant and stream names are the clients' choice), all drawn before the first
  // worker starts.
  std::vector<std::pair<SipKey, SipKey>> worker_keys;
  for (std::size_t w = 0; w < workers; ++w) {
    auto tenant_key = secret_key_for(draw_key_, "the tenant index of worker " + std::to_string(w));
    if (!tenant_key) return std::unexpected(tenant_key.error());
    auto stream_key = secret_key_for(draw_key_, "the stream index of worker " + std::to_string(w));
    if (!stream_key) return std::unexpected(stream_key.error());
    worker_keys.emplace_back(*tenant_key, *stream_key);
  }
  for (std::size_t w = 0; w < workers; ++w) {
    context.pool.hash_key = worker_keys[w].first;
    context.stream_index_key = worker_keys[w].second;
    workers_.push_back(
        std::make_unique<Worker>(w, std::move(receivers_[w]), admission_->enqueued(w), context, *hub_, *metrics_));
    workers_.back()->start();
  }
  receivers_.clear();
  return {};
}

// Scale-out: connect to JetStream before any transport starts, so every admitted
// observation is published; an unreachable server stops the start, naming the key.
Daemon::StepResult Daemon::connect_cluster() {
  if (config_.jetstream.servers.empty()) return {};
  auto node = ClusterNode::connect(config_.jetstream, draw_key_, *metrics_->registry());
  if (!node) return std::unexpected(node.error());
  cluster_ = std::move(*node);
  admission_->set_publisher(&cluster_->publisher());
  spdlog::info("event=cluster_connected servers=\"{}\" stream={} group={} instance={} partitions={} score={}",
               config_.jetstream.servers, cluster_->layout().stream, cluster_->layout().group,
               cluster_->layout().instance, cluster_->layout().partitions, config_.jetstream.score);
  return {};
}

Daemon::StepResult Daemon::start_cluster() {
  if (!cluster_) return {};
  return cluster_->start(*admission_, *hub_);
}

Daemon::StepResult Daemon::start_grpc() {
  service_ = std::make_unique<GrpcIngestService>(
      *admission_, *hub_, *access_, static_cast<std::size_t>(config_.max_batch),
      [this](v1::StatusReply& reply) { fill_status(reply); },
      [this](const v1::Feedback& feedback, const std::string& tenant, v1::FeedbackReply& reply) {
        return handle_feedback(feedback, tenant, reply);
      },
      [this](const v1::ExplainRequest& request, const std::string& tenant, v1::ExplainReply& reply) {
        return handle_explain(request, tenant, reply);
      },
      *metrics_);
  auto credentials = grpc_credentials();
  if (!credentials) return std::unexpected(credentials.error());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(host_port(config_.grpc.listen.host, config_.grpc.listen.port), *credentials, &grpc_port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.grpc.max_message_bytes));
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port == 0) {
    return std::unexpected("server.grpc.listen: cannot listen on " +
                           host_port(config_.grpc.listen.host, config_.grpc.listen.port));
  }
  ports_.grpc = static_cast<std::uint16_t>(grpc_port);
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(true);
  return {};
}

// TLS when a certificate is configured (mutual TLS with a client CA), the files re-read
// every refresh interval; plaintext otherwise.
std::expected<std::shared_ptr<grpc::ServerCredentials>, std::string> Daemon::grpc_credentials() const {
  const auto& tls = config_.grpc.tls;
  if (tls.cert_file.empty() && tls.key_file.empty() && tls.client_ca_file.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return std::unexpected("server.grpc.tls: cert_file and key_file are both needed");
  }
  // Read once here, so a missing or loose file fails the start rather than every handshake.
  for (const auto& [path, setting, secret] : {std::tuple{tls.cert_file, "server.grpc.tls.cert_file", false},
                                               std::tuple{tls.key_file, "server.grpc.tls.key_file", true},
                                               std::tuple{tls.client_ca_file, "server.grpc.tls.client_ca_file", false}}) {
    if (path.empty()) continue;
    auto pem = read_pem(path, setting, secret);
    if (!pem) return std::unexpected(pem.error());
    if (pem->find("-----BEGIN") == std::string::npos) {
      return std::unexpected(std::string(setting) + ": \"" + path + "\" holds no PEM block");
    }
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file, static_cast<unsigned>(tls.refresh_interval_s));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

Daemon::StepResult Daemon::start_udp() {
  std::unique_ptr<UdpAuthenticator> authenticator;
  if (!config_.udp.keys_file.empty()) {
    auto keys = UdpKeyTable::load(config_.udp.keys_file);
    if (!keys) return std::unexpected(keys.error());
    authenticator = std::make_unique<UdpAuthenticator>(std::move(*keys), std::chrono::seconds(config_.udp.replay_window_s),
                                                       now_ns());
  }
  udp_ = std::make_unique<UdpListener>(*admission_, static_cast<std::size_t>(config_.udp.max_datagram_bytes),
                                       static_cast<std::size_t>(config_.max_batch), std::move(authenticator));
  auto udp_port = udp_->start(config_.udp.listen.host, config_.udp.listen.port);
  if (!udp_port) return std::unexpected(udp_port.error());
  ports_.udp = *udp_port;
  return {};
}

}  // namespace anomstream::daemon
