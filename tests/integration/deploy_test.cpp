// The shipped deployment files run as written: the container's default configuration,
// the compose configuration with the credentials its script writes, and the Kubernetes
// ConfigMap, whose memory budgets must fit the pod's limit.

#include <doctest/doctest.h>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "client.hpp"
#include "daemon_fixture.hpp"
#include "process.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
namespace fs = std::filesystem;

namespace {

std::string source_file(const std::string& relative) {
  const char* root = std::getenv("ANOMSTREAM_SOURCE_DIR");
  REQUIRE(root != nullptr);
  std::ifstream in(std::string(root) + "/" + relative);
  REQUIRE_MESSAGE(in.good(), relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A deployment file with its container paths moved into `dir` and its ports made ephemeral.
std::string localised(std::string yaml, const std::string& dir) {
  yaml = replaced(yaml, "/run/secrets/anomstream", dir + "/secrets");
  yaml = replaced(yaml, "/var/lib/anomstream", dir + "/state");
  for (const char* port : {":50051", ":50052", ":9464"}) yaml = replaced(yaml, port, ":0");
  return yaml;
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

anomstream::test::ProcessResult make_credentials(const std::string& dir) {
  const char* root = std::getenv("ANOMSTREAM_SOURCE_DIR");
  return anomstream::test::run_process({"/bin/sh", std::string(root) + "/deploy/compose/make-credentials.sh", dir});
}

grpc::Status observe(anomstream::v1::IngestService::Stub& stub, const std::string& token) {
  anomstream::v1::ObservationBatch batch;
  auto* o = batch.add_observations();
  o->set_tenant("t");
  o->set_stream("s");
  o->add_values(1.0);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  anomstream::v1::IngestSummary summary;
  return stub.ObserveBatch(&context, batch, &summary);
}

std::uint64_t parse_size(const std::string& quantity) {
  const auto number = std::stoull(quantity);
  if (quantity.ends_with("Gi")) return number << 30;
  if (quantity.ends_with("Mi")) return number << 20;
  return number;
}

// docs/security.md, "Memory": detector state, queued observations (~0.5 KiB each at the
// dimensions of network telemetry), queued alerts (~1 KiB), and the daemon itself (64 MiB).
std::uint64_t memory_budget(const YAML::Node& config) {
  return config["tenants"]["max_bytes"].as<std::uint64_t>() +
         config["workers"]["count"].as<std::uint64_t>() * config["workers"]["queue_capacity"].as<std::uint64_t>() *
             512 +
         (config["sinks"]["queue_capacity"].as<std::uint64_t>() +
          config["sinks"]["watch"]["max_subscribers"].as<std::uint64_t>() *
              config["sinks"]["watch"]["queue_capacity"].as<std::uint64_t>()) *
             1024 +
         (std::uint64_t{64} << 20);
}

}  // namespace

TEST_CASE("compose: the credentials script's files secure gRPC and /metrics, and a second run keeps them") {
  DaemonUnderTest setup("", "compose-setup", false);
  const std::string secrets = setup.dir() + "/secrets";
  const auto made = make_credentials(secrets);
  REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  const std::string token = first_line(secrets + "/client.token");
  const std::string password = first_line(secrets + "/prometheus.password");
  CHECK(token.size() == 64);
  for (const char* file : {"client.token", "tokens.yaml", "metrics.basic"}) {
    CHECK((fs::status(secrets + "/" + file).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);
  }
  REQUIRE(make_credentials(secrets).exit_code == 0);
  CHECK(first_line(secrets + "/client.token") == token);

  DaemonUnderTest daemon(localised(source_file("deploy/compose/anomstreamd.yaml"), setup.dir()), "compose");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  CHECK(observe(*stub, "").error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(observe(*stub, token).ok());
  CHECK(anomstream::test::http_status(daemon.metrics_port(), "/metrics") == 401);
  CHECK(anomstream::test::http_status(daemon.metrics_port(), "/metrics", "prometheus:" + password) == 200);
  CHECK(anomstream::test::http_status(daemon.metrics_port(), "/readyz") == 200);
  CHECK(daemon.output().find("event=insecure_listener") == std::string::npos);
  CHECK(daemon.stop().exit_code == 0);
  CHECK(fs::exists(setup.dir() + "/state/tenants"));
}

TEST_CASE("the container's default configuration: ingest on loopback, /metrics behind basic auth") {
  DaemonUnderTest setup("", "sidecar-setup", false);
  REQUIRE(make_credentials(setup.dir() + "/secrets").exit_code == 0);
  const std::string password = first_line(setup.dir() + "/secrets/prometheus.password");
  const std::string config = localised(source_file("deploy/sidecar.yaml"), setup.dir());
  CHECK(config.find("0.0.0.0:0") != std::string::npos);  // the metrics port faces the network
  DaemonUnderTest daemon(config, "sidecar");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  CHECK(observe(*stub, "").ok());  // loopback ingest, as the agent in the pod sends it
  CHECK(anomstream::test::http_status(daemon.metrics_port(), "/metrics") == 401);
  CHECK(anomstream::test::http_status(daemon.metrics_port(), "/metrics", "prometheus:" + password) == 200);
  CHECK(anomstream::test::http_status(daemon.metrics_port(), "/healthz") == 200);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("systemd: the unit's MemoryMax holds the budgets of the built-in configuration") {
  const auto unit = source_file("systemd/anomstreamd.service.in");
  const auto at = unit.find("\nMemoryMax=");
  REQUIRE(at != std::string::npos);
  const std::string value = unit.substr(at + 11, unit.find('\n', at + 1) - at - 11);
  REQUIRE(value.ends_with("G"));
  const std::uint64_t limit = std::stoull(value) << 30;
  const auto printed = anomstream::test::run_process({anomstream::test::daemon_path(), "--print-default-config"});
  REQUIRE(printed.exit_code == 0);
  const std::uint64_t budget = memory_budget(YAML::Load(printed.out));
  MESSAGE("built-in budget ", budget >> 20, " MiB, MemoryMax ", limit >> 20, " MiB");
  CHECK(budget <= limit);
  CHECK(budget >= limit / 2);  // a limit far above the budget would not catch a leak
}

TEST_CASE("Kubernetes: the ConfigMap's configuration is valid and its memory budgets fit the pod's limit") {
  const auto documents = YAML::LoadAll(source_file("deploy/kubernetes/sidecar.yaml"));
  std::string config_text;
  std::uint64_t limit = 0;
  for (const auto& document : documents) {
    if (document["kind"].as<std::string>() == "ConfigMap") config_text = document["data"]["anomstreamd.yaml"].as<std::string>();
    if (document["kind"].as<std::string>() == "Pod") {
      for (const auto& container : document["spec"]["containers"]) {
        if (container["name"].as<std::string>() == "anomstreamd") {
          limit = parse_size(container["resources"]["limits"]["memory"].as<std::string>());
          CHECK(container["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/healthz");
          CHECK(container["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/readyz");
          CHECK(container["securityContext"]["readOnlyRootFilesystem"].as<bool>());
        }
      }
      CHECK(document["spec"]["securityContext"]["runAsNonRoot"].as<bool>());
    }
  }
  REQUIRE_FALSE(config_text.empty());
  REQUIRE(limit > 0);
  DaemonUnderTest setup("", "k8s-setup", false);
  const std::string path = setup.dir() + "/k8s.yaml";
  std::ofstream(path) << config_text;
  const auto checked = anomstream::test::run_process({anomstream::test::daemon_path(), "--check-config", path});
  CHECK_MESSAGE(checked.exit_code == 0, (checked.err + checked.out));
  const std::uint64_t budget = memory_budget(YAML::Load(config_text));
  MESSAGE("configured budget ", budget >> 20, " MiB, pod limit ", limit >> 20, " MiB");
  CHECK(budget <= limit);
}
