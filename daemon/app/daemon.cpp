#include "app/daemon.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "common/clock.hpp"
#include "sink/alert_json.hpp"
#include "triage/explain.hpp"
#include "triage/triage_desk.hpp"
#include "worker/log_text.hpp"
#include "version.hpp"

namespace anomstream::daemon {
namespace {

bool starts_with_any(const std::string& key, std::initializer_list<std::string_view> prefixes) {
  for (const auto prefix : prefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    append_json_string(out, items[i]);
  }
  return out + "]";
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
  s.max_dimension = static_cast<std::size_t>(c.max_dimension);
  s.detector = parse_detector_kind(c.pipeline.detector).value_or(DetectorKind::forest);
  s.forest_streams = c.pipeline.streams.forest;
  s.kmeans_streams = c.pipeline.streams.kmeans;
  s.left_mp_streams = c.pipeline.streams.left_mp;
  s.left_mp = {.window = static_cast<std::size_t>(c.pipeline.left_mp.window),
               .history = static_cast<std::size_t>(c.pipeline.left_mp.history),
               .normalize = c.pipeline.left_mp.normalize};
  s.kmeans = {.normalizer = c.pipeline.kmeans.normalizer,
              .window = static_cast<std::size_t>(c.pipeline.kmeans.window),
              .clusters = static_cast<std::size_t>(c.pipeline.kmeans.clusters),
              .warmup = static_cast<std::size_t>(c.pipeline.kmeans.warmup),
              .reservoir = static_cast<std::size_t>(c.pipeline.kmeans.reservoir),
              .max_count = static_cast<std::size_t>(c.pipeline.kmeans.max_count),
              .newest_weight = c.pipeline.kmeans.newest_weight};
  return s;
}

std::expected<SipKey, std::string> secret_key_for(const SecretKeyDrawer& draw_key, std::string_view purpose) {
  auto key = draw_key();
  if (!key) return std::unexpected("secret key for " + std::string(purpose) + ": " + key.error().message());
  return *key;
}

std::expected<AdmissionPolicy, std::string> admission_policy(const DaemonConfig& c, const SecretKeyDrawer& draw_key) {
  auto sampler = hotpath::UpdateSampler::every(static_cast<std::uint64_t>(c.sampler.every));
  if (c.sampler.mode == "keyed") {
    auto key = secret_key_for(draw_key, "the keyed sampler");
    if (!key) return std::unexpected("hotpath.sampler: " + key.error());
    sampler = hotpath::UpdateSampler::keyed_with_seeds(c.sampler.rate, *key);
  }
  if (!sampler) return std::unexpected("hotpath.sampler: " + sampler.error().message());
  auto rate_cap = hotpath::PrefixRateCap::disabled();
  if (c.rate_cap.enabled) {
    hotpath::PrefixRateCapConfig cap_config;
    cap_config.cap_per_window = static_cast<std::uint64_t>(c.rate_cap.per_window);
    cap_config.window = std::chrono::milliseconds(c.rate_cap.window_ms);
    auto key = secret_key_for(draw_key, "the rate cap");
    if (!key) return std::unexpected("hotpath.rate_cap: " + key.error());
    auto cap = hotpath::PrefixRateCap::create_with_key(cap_config, *key);
    if (!cap) return std::unexpected("hotpath.rate_cap: " + cap.error().message());
    rate_cap = std::move(*cap);
  }
  return AdmissionPolicy{std::move(*sampler), std::move(rate_cap)};
}

Daemon::Daemon(LoadedConfig config, std::string config_path, SecretKeyDrawer draw_key)
    : config_(std::move(config.config)),
      draw_key_(std::move(draw_key)),
      document_(std::move(config.document)),
      config_path_(std::move(config_path)),
      config_source_(config_path_.empty() ? "<built-in default.yaml>" : config_path_) {}

Daemon::~Daemon() { stop(); }

std::int64_t Daemon::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

void Daemon::audit(std::string_view kind, const std::string& payload) {
  if (audit_ && audit_->append(now_ns(), kind, payload)) metrics_->audit_entries().Increment();
}

bool Daemon::stop() {
  if (stopped_) return true;
  stopped_ = true;
  draining_ = true;
  ready_ = false;
  if (server_ && server_->GetHealthCheckService() != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
  }
  // Scale-out: each owned partition finishes its batch, writes its snapshot and is
  // released, so its next owner resumes at once instead of after the lease expires.
  if (cluster_) cluster_->stop();
  const std::int64_t deadline = steady_now_ns() + config_.shutdown_deadline_ms * 1'000'000;
  // New observations are refused (counted, told to the client); the queues close, and
  // each worker drains its queue until the deadline, then writes its final snapshot.
  if (admission_) {
    admission_->shut_down();
    admission_->close_queues();
  }
  for (auto& worker : workers_) worker->set_drain_deadline(deadline);
  for (auto& worker : workers_) worker->join();
  const bool in_time = steady_now_ns() <= deadline;
  if (store_) store_->flush();
  if (hub_) {
    // Every alert the workers raised leaves the sink thread (what is still queued at the
    // deadline is counted lost); then each WatchAlerts stream delivers what it holds, and ends.
    hub_->close(std::chrono::milliseconds(std::max<std::int64_t>(0, (deadline - steady_now_ns()) / 1'000'000)));
    audit("stop", "{\"event\":\"stop\",\"alerts\":" + std::to_string(hub_->published()) + "}");
  }
  if (udp_) udp_->stop();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (service_) service_->stop_watchers();
  return in_time;
}

void Daemon::reopen_sinks(const std::string& json_lines) {
  if (!hub_->reopen(json_lines)) spdlog::error("event=sink_reopen_failed path=\"{}\"", json_lines);
  if (audit_) {
    if (auto reopened = audit_->reopen(); !reopened) {
      spdlog::error("event=audit_reopen_failed error=\"{}\"", reopened.error());
    }
  }
}

ReloadResult Daemon::reload() {
  ReloadResult result;
  auto loaded = config_path_.empty() ? load_config_document("", config_source_)
                                     : load_config_document_file(config_path_);
  // An invalid file, or tokens file, changes nothing; SIGHUP is also logrotate's signal,
  // so the sinks reopen all the same.
  const auto refuse = [&](std::string message) {
    while (!message.empty() && message.back() == '\n') message.pop_back();
    reopen_sinks(config_.json_lines);
    metrics_->config_reloads(false).Increment();
    std::string payload = "{\"event\":\"config_reload\",\"result\":\"error\",\"error\":";
    append_json_string(payload, message);
    audit("config_reload", payload + "}");
    result.message = std::move(message);
    return result;
  };
  if (!loaded) return refuse(loaded.error().message());
  if (auto tokens = access_->reload(); !tokens) return refuse(tokens.error());
  if (!config_.udp.keys_file.empty()) {
    auto keys = UdpKeyTable::load(config_.udp.keys_file);
    if (!keys) return refuse(keys.error());
    udp_->replace_authenticator(std::make_unique<UdpAuthenticator>(
        std::move(*keys), std::chrono::seconds(config_.udp.replay_window_s), now_ns()));
  }
  std::vector<std::string> applied;
  for (const auto& change : changed_keys(document_, loaded->document)) {
    (change.live ? applied : result.restart_keys).push_back(change.path);
  }
  DaemonConfig next = std::move(loaded->config);
  YAML::Node document = std::move(loaded->document);
  keep_keys(result.restart_keys, document_, document, next);

  const auto changed = [&](std::initializer_list<std::string_view> prefixes) {
    for (const auto& key : applied) {
      if (starts_with_any(key, prefixes)) return true;
    }
    return false;
  };
  if (changed({"hotpath."})) {
    auto policy = admission_policy(next, draw_key_);
    if (!policy) return refuse(policy.error());
    admission_->replace_policy(std::move(*policy));
  }
  if (changed({"pipeline."})) settings_->replace(pipeline_settings(next));
  if (changed({"logging."})) spdlog::set_level(spdlog::level::from_str(next.log_level));
  // SIGHUP is also logrotate's signal: the sinks reopen whether or not their path changed.
  reopen_sinks(next.json_lines);
  config_ = std::move(next);
  document_ = std::move(document);
  result.ok = true;
  result.message = applied.empty() ? "nothing to apply" : "applied " + std::to_string(applied.size()) + " keys";
  metrics_->config_reloads(true).Increment();
  audit("config_reload", "{\"event\":\"config_reload\",\"result\":\"ok\",\"applied\":" + json_list(applied) +
                             ",\"restart_required\":" + json_list(result.restart_keys) + "}");
  return result;
}

bool Daemon::workers_alive(std::chrono::nanoseconds window) const {
  const std::int64_t now = steady_now_ns();
  for (const auto& worker : workers_) {
    if (now - worker->heartbeat_ns() > window.count()) return false;
  }
  return !workers_.empty();
}

std::string Daemon::not_ready_reason() const {
  if (draining_) return "draining";
  if (!ready_) return "starting";
  if (store_ && !store_->healthy()) return "state.dir: the last state file could not be written";
  if (audit_ && !audit_->healthy()) return "audit.path: the last audit entry could not be written";
  return {};
}

std::string Daemon::accounting() const {
  if (!metrics_) return {};
  auto& m = *metrics_;
  const auto count = [](prometheus::Counter& c) { return static_cast<std::uint64_t>(c.Value()); };
  std::uint64_t rejected = 0;
  for (std::size_t r = 0; r < REJECT_REASON_COUNT; ++r) rejected += count(m.rejected(static_cast<RejectReason>(r)));
  return fmt::format("received={} scored={} rate_capped={} rejected={} dropped_queue_full={} dropped_shutdown={} "
                     "alerts={}",
                     count(m.received(Transport::grpc)) + count(m.received(Transport::udp)), count(m.scored()),
                     count(m.rate_capped()), rejected, count(m.dropped(DropReason::queue_full)),
                     count(m.dropped(DropReason::shutdown)), hub_ ? hub_->published() : 0);
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
  reply.set_alerts_dropped(static_cast<std::uint64_t>(metrics_->sink_alerts_dropped().Value()));
  reply.set_live_tenants(tenants);
  for (const auto& watcher : hub_->subscribers()) {
    auto* status = reply.add_watchers();
    status->set_peer(watcher.peer);
    status->set_tenant(watcher.tenant);
    status->set_min_severity(watcher.min_severity);
    status->set_queued(watcher.queued);
    status->set_delivered(watcher.delivered);
    status->set_dropped(watcher.dropped);
  }
}

namespace {

// How long SubmitFeedback waits for the owning worker (it queues behind observations).
constexpr std::chrono::seconds FEEDBACK_WAIT{5};

std::int64_t feedback_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string grpc_status_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::NOT_FOUND: return "not_found";
    case grpc::StatusCode::UNAVAILABLE: return "unavailable";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "deadline_exceeded";
    default: return "failed";
  }
}

}  // namespace

grpc::Status Daemon::handle_feedback(const v1::Feedback& feedback, const std::string& tenant,
                                     v1::FeedbackReply& reply) {
  const auto& id = feedback.alert_id();
  auto request = std::make_shared<FeedbackRequest>();
  parse_alert_key(split_alert_id(id).second, request->key);  // checked by the service
  request->label = feedback.verdict() == v1::VERDICT_TRUE_POSITIVE    ? triage::FeedbackLabel::true_positive
                   : feedback.verdict() == v1::VERDICT_FALSE_POSITIVE ? triage::FeedbackLabel::false_positive
                                                                      : triage::FeedbackLabel::benign;
  request->now_ns = feedback_clock_ns();
  auto answer = request->done.get_future();
  grpc::Status status = grpc::Status::OK;
  FeedbackOutcome outcome;
  WorkItem item;
  item.feedback = request;
  if (!admission_->send_request(tenant, std::move(item))) {
    status = {grpc::StatusCode::UNAVAILABLE, "the tenant's worker queue is full or closed; retry"};
  } else if (answer.wait_for(FEEDBACK_WAIT) != std::future_status::ready) {
    status = {grpc::StatusCode::DEADLINE_EXCEEDED, "the tenant's worker did not answer in time; the verdict may "
                                                   "still apply (resubmitting it is safe)"};
  } else {
    outcome = answer.get();
    if (outcome.kind == FeedbackOutcome::Kind::not_found) {
      status = {grpc::StatusCode::NOT_FOUND,
                "alert_id: tenant \"" + escape_for_log(tenant) + "\" has no recent alert with this id (the last " +
                    std::to_string(config_.triage.recent_alerts) + " per tenant are kept: triage.recent_alerts)"};
    } else if (outcome.kind == FeedbackOutcome::Kind::failed) {
      status = {grpc::StatusCode::INTERNAL, "the verdict could not be stored: " + outcome.error};
    }
  }
  const bool known = status.ok();
  // By the answer, not the outcome: a verdict that never reached the worker (queue full,
  // no answer in time) has no outcome and is a failure, not an unknown id.
  metrics_->feedback(known ? 0 : status.error_code() == grpc::StatusCode::NOT_FOUND ? 1 : 3).Increment();
  if (known) {
    reply.set_known_alert(true);
    reply.set_first_verdict(outcome.verdict.first);
    reply.set_cluster_id(outcome.verdict.cluster_id);
    reply.set_probability(outcome.verdict.probability);
  }
  std::string payload = "{\"alert_id\":";
  append_json_string(payload, id);
  payload += ",\"verdict\":\"" + v1::Verdict_Name(feedback.verdict()) + "\",\"known\":" +
             (known ? "true" : "false") + ",\"result\":\"" +
             (known ? "recorded" : grpc_status_name(status.error_code())) + "\",\"note\":";
  append_json_string(payload, feedback.note());
  audit("feedback", payload + "}");
  spdlog::info("event=feedback alert_id=\"{}\" verdict={} known={} first={} stream=\"{}\"", escape_for_log(id),
               v1::Verdict_Name(feedback.verdict()), known, known && outcome.verdict.first,
               escape_for_log(outcome.verdict.stream));
  return status;
}

grpc::Status Daemon::handle_explain(const v1::ExplainRequest& request, const std::string& tenant,
                                    v1::ExplainReply& reply) {
  const auto& settings = config_.triage;
  // A slot first: an explanation costs up to max_permutations x dimension x background
  // model calls, so only a few run at once and the rest are told to come back.
  if (explaining_.fetch_add(1) >= settings.explain_max_concurrent) {
    explaining_.fetch_sub(1);
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            "triage.explain.max_concurrent (" + std::to_string(settings.explain_max_concurrent) +
                ") explanations are running; retry"};
  }
  struct Release {
    std::atomic<int>& count;
    ~Release() { count.fetch_sub(1); }
  } release{explaining_};
  auto ask = std::make_shared<ExplainRequest>();
  parse_alert_key(split_alert_id(request.alert_id()).second, ask->key);  // checked by the service
  ask->rows = static_cast<std::size_t>(settings.explain_rows);
  ask->background = static_cast<std::size_t>(settings.explain_background);
  auto answer = ask->done.get_future();
  WorkItem item;
  item.explain = ask;
  if (!admission_->send_request(tenant, std::move(item))) {
    return {grpc::StatusCode::UNAVAILABLE, "the tenant's worker queue is full or closed; retry"};
  }
  if (answer.wait_for(FEEDBACK_WAIT) != std::future_status::ready) {
    return {grpc::StatusCode::DEADLINE_EXCEEDED, "the tenant's worker did not answer in time"};
  }
  ExplainOutcome outcome = answer.get();
  switch (outcome.kind) {
    case ExplainOutcome::Kind::not_found:
      return {grpc::StatusCode::NOT_FOUND, "alert_id: tenant \"" + escape_for_log(tenant) +
                                               "\" has no recent alert with this id (triage.recent_alerts)"};
    case ExplainOutcome::Kind::unsupported:
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "stream \"" + escape_for_log(outcome.stream) + "\" (" + outcome.detector +
                  "): explanations need a forest stream whose model has passed its warm-up"};
    case ExplainOutcome::Kind::failed:
      return {grpc::StatusCode::UNAVAILABLE, outcome.error};
    case ExplainOutcome::Kind::found:
      break;
  }
  const ExplainModel& model = *outcome.model;
  auto report = explain(model, static_cast<std::size_t>(settings.explain_max_permutations));
  if (!report) return {grpc::StatusCode::INTERNAL, report.error().message()};
  reply.set_stream(outcome.stream);
  reply.set_detector(outcome.detector);
  reply.set_permutations(report->permutations);
  reply.set_converged(report->converged);
  const std::size_t dimension = report->values.size();
  reply.set_rows(static_cast<std::uint32_t>(model.rows.size() / dimension));
  reply.set_background_rows(static_cast<std::uint32_t>(model.background.size() / dimension));
  std::vector<std::size_t> order(dimension);
  for (std::size_t i = 0; i < dimension; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return report->values[a] > report->values[b]; });
  for (const std::size_t i : order) {
    auto* f = reply.add_features();
    f->set_index(static_cast<std::uint32_t>(i));
    f->set_value(report->values[i]);
    f->set_std_error(report->std_errors[i]);
  }
  return grpc::Status::OK;
}

}  // namespace anomstream::daemon
