// anomstreamctl watch / status / feedback: small gRPC clients.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <optional>

#include "client.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "sink/alert_json.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {
namespace {

std::optional<v1::Severity> parse_severity(const std::string& text) {
  if (text == "any" || text == "none") return v1::SEVERITY_UNSPECIFIED;
  if (text == "low") return v1::SEVERITY_LOW;
  if (text == "medium") return v1::SEVERITY_MEDIUM;
  if (text == "high") return v1::SEVERITY_HIGH;
  if (text == "critical") return v1::SEVERITY_CRITICAL;
  return std::nullopt;
}

// A stub on the connection the options name; nullopt (the reason printed) when they name
// none.
struct Client {
  Connection connection;
  std::unique_ptr<v1::IngestService::Stub> stub;

  static std::optional<Client> from(const po::variables_map& vm) {
    auto connection = connection_from(vm);
    if (!connection) {
      std::cerr << "anomstreamctl: " << connection.error() << "\n";
      return std::nullopt;
    }
    auto stub = make_stub(*connection);
    return Client{std::move(*connection), std::move(stub)};
  }
  // Credentials and a deadline for one call.
  void prepare(grpc::ClientContext& context, std::chrono::seconds deadline) const {
    authorize(context, connection);
    context.set_deadline(std::chrono::system_clock::now() + deadline);
  }
};

}  // namespace

int run_watch(int argc, char** argv) {
  po::options_description options("anomstreamctl watch options");
  options.add_options()
      ("help,h", "print this help")
      ("tenant", po::value<std::string>()->default_value(""), "only this tenant's alerts")
      ("min-severity", po::value<std::string>()->default_value("any"), "any, low, medium, high or critical")
      ("count", po::value<std::uint64_t>()->default_value(0), "exit after this many alerts (0: never)")
      ("timeout", po::value<double>()->default_value(0), "exit after this many seconds (0: never)");
  add_connection_options(options);
  po::variables_map vm;
  if (!parse_options(argc, argv, options, vm, "watch")) return EXIT_FAILURE_TO_RUN;
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  const auto severity = parse_severity(vm["min-severity"].as<std::string>());
  if (!severity) {
    std::cerr << "anomstreamctl watch: --min-severity: expected any, low, medium, high or critical\n";
    return EXIT_FAILURE_TO_RUN;
  }
  const auto connection = connection_from(vm);
  if (!connection) {
    std::cerr << "anomstreamctl: " << connection.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  auto stub = make_stub(*connection);
  grpc::ClientContext context;
  authorize(context, *connection);
  if (const double timeout = vm["timeout"].as<double>(); timeout > 0) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             std::chrono::duration<double>(timeout)));
  }
  v1::WatchAlertsRequest request;
  request.set_tenant(vm["tenant"].as<std::string>());
  request.set_min_severity(*severity);
  auto reader = stub->WatchAlerts(&context, request);
  const auto limit = vm["count"].as<std::uint64_t>();
  std::uint64_t seen = 0;
  v1::Alert alert;
  while (reader->Read(&alert)) {
    std::cout << daemon::alert_to_json(alert) << std::endl;
    if (limit > 0 && ++seen >= limit) {
      context.TryCancel();
      break;
    }
  }
  const auto status = reader->Finish();
  if (!status.ok() && status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
      status.error_code() != grpc::StatusCode::CANCELLED) {
    std::cerr << "anomstreamctl watch: " << status.error_message() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  return 0;
}

int run_status(int argc, char** argv) {
  po::options_description options("anomstreamctl status options");
  options.add_options()
      ("help,h", "print this help");
  add_connection_options(options);
  po::variables_map vm;
  if (!parse_options(argc, argv, options, vm, "status")) return EXIT_FAILURE_TO_RUN;
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  auto client = Client::from(vm);
  if (!client) return EXIT_FAILURE_TO_RUN;
  auto& stub = client->stub;
  grpc::ClientContext context;
  client->prepare(context, std::chrono::seconds(5));
  v1::StatusReply reply;
  const auto status = stub->GetStatus(&context, v1::StatusRequest{}, &reply);
  if (!status.ok()) {
    std::cerr << "anomstreamctl status: " << status.error_message() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::cout << "version       " << reply.version() << "\n"
            << "received      " << reply.received() << "\n"
            << "scored        " << reply.scored() << "\n"
            << "alerts        " << reply.alerts() << "\n"
            << "live tenants  " << reply.live_tenants() << "\n";
  for (const auto& w : reply.workers()) {
    std::cout << "worker " << w.index() << "      queue " << w.queue_depth() << "/" << w.queue_capacity()
              << ", tenants " << w.tenants() << ", scored " << w.scored() << "\n";
  }
  return 0;
}

int run_feedback(int argc, char** argv) {
  po::options_description options("anomstreamctl feedback options");
  options.add_options()
      ("help,h", "print this help")
      ("alert-id", po::value<std::string>()->required(), "the alert's id")
      ("verdict", po::value<std::string>()->required(), "true_positive, false_positive or benign")
      ("note", po::value<std::string>()->default_value(""), "free text recorded in the audit log");
  add_connection_options(options);
  po::variables_map vm;
  if (argc > 1 && std::string_view(argv[1]) == "--help") {
    std::cout << options;
    return 0;
  }
  if (!parse_options(argc, argv, options, vm, "feedback")) return EXIT_FAILURE_TO_RUN;
  v1::Feedback feedback;
  feedback.set_alert_id(vm["alert-id"].as<std::string>());
  const auto verdict = vm["verdict"].as<std::string>();
  if (verdict == "true_positive") feedback.set_verdict(v1::VERDICT_TRUE_POSITIVE);
  else if (verdict == "false_positive") feedback.set_verdict(v1::VERDICT_FALSE_POSITIVE);
  else if (verdict == "benign") feedback.set_verdict(v1::VERDICT_BENIGN);
  else {
    std::cerr << "anomstreamctl feedback: --verdict: expected true_positive, false_positive or benign\n";
    return EXIT_FAILURE_TO_RUN;
  }
  feedback.set_note(vm["note"].as<std::string>());
  auto client = Client::from(vm);
  if (!client) return EXIT_FAILURE_TO_RUN;
  auto& stub = client->stub;
  grpc::ClientContext context;
  client->prepare(context, std::chrono::seconds(5));
  v1::FeedbackReply reply;
  const auto status = stub->SubmitFeedback(&context, feedback, &reply);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    std::cerr << "anomstreamctl feedback: " << status.error_message() << "\n";
    return EXIT_PROBLEM;
  }
  if (!status.ok()) {
    std::cerr << "anomstreamctl feedback: " << status.error_message() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::cout << "recorded" << (reply.first_verdict() ? "" : " (replacing an earlier verdict on this alert)")
            << "; incident " << reply.cluster_id() << "; an alert like it is now confirmed with probability "
            << reply.probability() << "\n";
  return 0;
}

int run_explain(int argc, char** argv) {
  po::options_description options("anomstreamctl explain options");
  options.add_options()
      ("help,h", "print this help")
      ("alert-id", po::value<std::string>()->required(), "the alert's id");
  add_connection_options(options);
  po::variables_map vm;
  if (argc > 1 && std::string_view(argv[1]) == "--help") {
    std::cout << options;
    return 0;
  }
  if (!parse_options(argc, argv, options, vm, "explain")) return EXIT_FAILURE_TO_RUN;
  auto client = Client::from(vm);
  if (!client) return EXIT_FAILURE_TO_RUN;
  auto& stub = client->stub;
  grpc::ClientContext context;
  client->prepare(context, std::chrono::seconds(60));
  v1::ExplainRequest request;
  request.set_alert_id(vm["alert-id"].as<std::string>());
  v1::ExplainReply reply;
  const auto status = stub->ExplainAlert(&context, request, &reply);
  if (!status.ok()) {
    std::cerr << "anomstreamctl explain: " << status.error_message() << "\n";
    return status.error_code() == grpc::StatusCode::NOT_FOUND ? EXIT_PROBLEM : EXIT_FAILURE_TO_RUN;
  }
  std::cout << "stream " << reply.stream() << " (" << reply.detector() << "): SAGE importance over " << reply.rows()
            << " sample points, " << reply.background_rows() << " background points, " << reply.permutations()
            << " permutations" << (reply.converged() ? " (converged)" : " (not converged)") << "\n";
  std::cout << "feature      value   std_error\n";
  for (const auto& f : reply.features()) {
    std::cout << fmt::format("{:>7} {:>11.4g} {:>11.2g}\n", f.index(), f.value(), f.std_error());
  }
  return 0;
}

}  // namespace anomstream::tools
