#include "ingest/grpc_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "triage/triage_desk.hpp"
#include "worker/log_text.hpp"

namespace anomstream::daemon {

GrpcIngestService::GrpcIngestService(Admission& admission, AlertHub& hub, const AccessControl& access,
                                     std::size_t max_batch, StatusProvider status, FeedbackHandler feedback,
                                     ExplainHandler explain, DaemonMetrics& metrics)
    : admission_(admission),
      hub_(hub),
      access_(access),
      max_batch_(max_batch),
      status_(std::move(status)),
      feedback_(std::move(feedback)),
      explain_(std::move(explain)),
      metrics_(metrics) {}

namespace {
grpc::Status denied(std::string_view action, std::string_view tenant) {
  return {grpc::StatusCode::PERMISSION_DENIED,
          fmt::format("the token may not {} tenant \"{}\"", action, escape_for_log(tenant))};
}
}  // namespace

grpc::Status GrpcIngestService::refuse_batch(const v1::ObservationBatch& request, const grpc::Status& why,
                                             RejectReason reason, v1::IngestSummary* reply) {
  IngestTally tally;
  auto batcher = admission_.batcher();
  for (int i = 0; i < request.observations_size(); ++i) {
    admission_.reject_undecoded(Transport::grpc, reason, why.error_message(), static_cast<std::uint64_t>(i), tally,
                                batcher);
  }
  batcher.flush_metrics();
  tally.to_summary(*reply);
  return why;
}

grpc::Status GrpcIngestService::Observe(grpc::ServerContext* context, grpc::ServerReader<v1::Observation>* reader,
                                        v1::IngestSummary* reply) {
  const auto caller = access_.authenticate(*context);
  if (!caller.status.ok()) return caller.status;  // nothing read, nothing to count
  IngestTally tally;
  auto batcher = admission_.batcher();
  v1::Observation observation;
  std::uint64_t index = 0;
  grpc::Status status = grpc::Status::OK;
  while (reader->Read(&observation)) {
    if (!caller.allows(Action::write, observation.tenant())) {
      status = denied("write to", observation.tenant());
      admission_.reject_undecoded(Transport::grpc, RejectReason::unauthorized, status.error_message(), index++,
                                  tally, batcher);
      break;  // the stream ends here; what was read before stays accepted
    }
    admission_.admit(observation, Transport::grpc, index++, tally, batcher);
  }
  admission_.settle(tally, batcher);
  batcher.flush_metrics();
  tally.to_summary(*reply);
  return status;
}

grpc::Status GrpcIngestService::ObserveBatch(grpc::ServerContext* context, const v1::ObservationBatch* request,
                                             v1::IngestSummary* reply) {
  const auto caller = access_.authenticate(*context);
  if (!caller.status.ok()) return refuse_batch(*request, caller.status, RejectReason::unauthenticated, reply);
  for (const auto& o : request->observations()) {
    if (!caller.allows(Action::write, o.tenant())) {
      return refuse_batch(*request, denied("write to", o.tenant()), RejectReason::unauthorized, reply);
    }
  }
  IngestTally tally;
  auto batcher = admission_.batcher();
  const auto n = static_cast<std::size_t>(request->observations_size());
  if (n == 0) {
    admission_.reject_undecoded(Transport::grpc, RejectReason::empty_batch, "observations: batch is empty", 0,
                                tally, batcher);
    batcher.flush_metrics();
    return {grpc::StatusCode::INVALID_ARGUMENT, "observations: batch is empty"};
  }
  if (n > max_batch_) {
    const std::string detail = "observations: at most " + std::to_string(max_batch_) +
                               " per batch (got " + std::to_string(n) + ")";
    for (std::size_t i = 0; i < n; ++i) {
      admission_.reject_undecoded(Transport::grpc, RejectReason::oversized, detail, i, tally, batcher);
    }
    batcher.flush_metrics();
    return {grpc::StatusCode::INVALID_ARGUMENT, detail};
  }
  for (std::size_t i = 0; i < n; ++i) {
    admission_.admit(request->observations(static_cast<int>(i)), Transport::grpc, i, tally, batcher);
  }
  admission_.settle(tally, batcher);
  batcher.flush_metrics();
  tally.to_summary(*reply);
  return grpc::Status::OK;
}

grpc::Status GrpcIngestService::WatchAlerts(grpc::ServerContext* context,
                                            const v1::WatchAlertsRequest* request,
                                            grpc::ServerWriter<v1::Alert>* writer) {
  const auto caller = access_.authenticate(*context);
  if (!caller.status.ok()) return caller.status;
  if (request->tenant().empty() ? !(caller.may(Action::watch) && caller.all_tenants())
                                : !caller.allows(Action::watch, request->tenant())) {
    return request->tenant().empty()
               ? grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "watching every tenant needs a \"*\" watch grant")
               : denied("watch", request->tenant());
  }
  auto subscribed = hub_.subscribe(request->tenant(), request->min_severity(), context->peer());
  if (!subscribed) return {grpc::StatusCode::RESOURCE_EXHAUSTED, subscribed.error()};
  const auto& subscription = *subscribed;
  // An initial empty metadata write tells the client the subscription is live.
  writer->SendInitialMetadata();
  v1::Alert alert;
  while (!context->IsCancelled() && !stopping_.load()) {
    if (subscription->pop(alert, std::chrono::milliseconds(100))) {
      if (!writer->Write(alert)) break;
      subscription->delivered();
    } else if (subscription->closed()) {
      break;
    }
  }
  hub_.unsubscribe(subscription);
  return grpc::Status::OK;
}

grpc::Status GrpcIngestService::SubmitFeedback(grpc::ServerContext* context, const v1::Feedback* request,
                                               v1::FeedbackReply* reply) {
  const auto caller = access_.authenticate(*context);
  if (!caller.status.ok()) {
    metrics_.feedback(2).Increment();
    return caller.status;
  }
  const auto refuse = [&](grpc::StatusCode code, std::string message) {
    metrics_.feedback(2).Increment();
    return grpc::Status(code, std::move(message));
  };
  // "<tenant>/<32 hex digits>": the tenant is everything before the last '/'.
  const auto [tenant, key] = split_alert_id(request->alert_id());
  std::array<std::uint8_t, 16> parsed{};
  if (tenant.empty() || !parse_alert_key(key, parsed)) {
    return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  "alert_id: \"<tenant>/<32 lowercase hex digits>\" as the alert carries it");
  }
  if (!caller.allows(Action::feedback, tenant)) {
    metrics_.feedback(2).Increment();
    return denied("give feedback on", tenant);
  }
  if (request->verdict() == v1::VERDICT_UNSPECIFIED || !v1::Verdict_IsValid(request->verdict())) {
    return refuse(grpc::StatusCode::INVALID_ARGUMENT, "verdict: true positive, false positive or benign");
  }
  if (request->note().size() > MAX_FEEDBACK_NOTE_BYTES) {
    return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  "note: at most " + std::to_string(MAX_FEEDBACK_NOTE_BYTES) + " bytes");
  }
  return feedback_(*request, std::string(tenant), *reply);
}

grpc::Status GrpcIngestService::ExplainAlert(grpc::ServerContext* context, const v1::ExplainRequest* request,
                                             v1::ExplainReply* reply) {
  const auto caller = access_.authenticate(*context);
  if (!caller.status.ok()) return caller.status;
  const auto [tenant, key] = split_alert_id(request->alert_id());
  std::array<std::uint8_t, 16> parsed{};
  if (tenant.empty() || !parse_alert_key(key, parsed)) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "alert_id: \"<tenant>/<32 lowercase hex digits>\" as the alert carries it"};
  }
  // Explaining is part of an analyst's work on the tenant's alerts: the feedback grant.
  if (!caller.allows(Action::feedback, tenant)) return denied("explain alerts of", tenant);
  return explain_(*request, std::string(tenant), *reply);
}

grpc::Status GrpcIngestService::GetStatus(grpc::ServerContext* context, const v1::StatusRequest* /*request*/,
                                          v1::StatusReply* reply) {
  const auto caller = access_.authenticate(*context);
  if (!caller.status.ok()) return caller.status;
  status_(*reply);
  return grpc::Status::OK;
}

void GrpcIngestService::stop_watchers() { stopping_.store(true); }

}  // namespace anomstream::daemon
