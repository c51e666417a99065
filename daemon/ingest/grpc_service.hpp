#pragma once
// The gRPC IngestService: Observe (client stream), ObserveBatch (unary), WatchAlerts
// (server stream), SubmitFeedback, GetStatus. Every observation a call delivers is
// accounted for in its IngestSummary reply and in the metrics. Each call is checked
// against the access control first (access_control.hpp): UNAUTHENTICATED without a
// valid token, PERMISSION_DENIED for an action or a tenant the token does not cover;
// the observations of a refused batch are counted as rejected (unauthenticated or
// unauthorized).

#include <grpcpp/grpcpp.h>

#include <functional>

#include "anomstream/v1/ingest_service.grpc.pb.h"
#include "ingest/access_control.hpp"
#include "ingest/admission.hpp"
#include "sink/alert_hub.hpp"

namespace anomstream::daemon {

inline constexpr std::size_t MAX_FEEDBACK_NOTE_BYTES = 4096;

class GrpcIngestService final : public v1::IngestService::Service {
 public:
  using StatusProvider = std::function<void(v1::StatusReply&)>;
  // A well-formed verdict the caller may give, for `tenant` (the alert id's tenant).
  using FeedbackHandler =
      std::function<grpc::Status(const v1::Feedback&, const std::string& tenant, v1::FeedbackReply&)>;
  using ExplainHandler =
      std::function<grpc::Status(const v1::ExplainRequest&, const std::string& tenant, v1::ExplainReply&)>;

  GrpcIngestService(Admission& admission, AlertHub& hub, const AccessControl& access, std::size_t max_batch,
                    StatusProvider status, FeedbackHandler feedback, ExplainHandler explain, DaemonMetrics& metrics);

  grpc::Status Observe(grpc::ServerContext* context, grpc::ServerReader<v1::Observation>* reader,
                       v1::IngestSummary* reply) override;
  grpc::Status ObserveBatch(grpc::ServerContext* context, const v1::ObservationBatch* request,
                            v1::IngestSummary* reply) override;
  grpc::Status WatchAlerts(grpc::ServerContext* context, const v1::WatchAlertsRequest* request,
                           grpc::ServerWriter<v1::Alert>* writer) override;
  grpc::Status SubmitFeedback(grpc::ServerContext* context, const v1::Feedback* request,
                              v1::FeedbackReply* reply) override;
  grpc::Status ExplainAlert(grpc::ServerContext* context, const v1::ExplainRequest* request,
                            v1::ExplainReply* reply) override;
  grpc::Status GetStatus(grpc::ServerContext* context, const v1::StatusRequest* request,
                         v1::StatusReply* reply) override;

  // Ends every WatchAlerts stream (at shutdown).
  void stop_watchers();

 private:
  // Refuses every observation of a call that may not write (counted, told to the client).
  grpc::Status refuse_batch(const v1::ObservationBatch& request, const grpc::Status& why, RejectReason reason,
                            v1::IngestSummary* reply);

  Admission& admission_;
  AlertHub& hub_;
  const AccessControl& access_;
  std::size_t max_batch_;
  StatusProvider status_;
  FeedbackHandler feedback_;
  ExplainHandler explain_;
  DaemonMetrics& metrics_;
  std::atomic<bool> stopping_{false};
};

}  // namespace anomstream::daemon
