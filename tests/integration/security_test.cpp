// Who may reach the daemon: TLS and mutual TLS, bearer tokens per tenant and action,
// signed UDP datagrams with a replay window, basic auth on /metrics, and the refusal to
// listen beyond loopback without any of them. Client strings never forge log lines.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "client.hpp"
#include "daemon_fixture.hpp"
#include "ingest/udp_auth.hpp"
#include "persist/state_file.hpp"
#include "test_certs.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
using anomstream::test::http_response;
using anomstream::test::status_of;
namespace fs = std::filesystem;

namespace {

// A file only its owner may read (what secret files must be).
std::string secret_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

std::string hex_sha256(const std::string& text) { return anomstream::daemon::to_hex(anomstream::daemon::sha256(text)); }

anomstream::v1::ObservationBatch batch_for(const std::string& tenant, int count = 4) {
  anomstream::v1::ObservationBatch batch;
  for (int i = 0; i < count; ++i) {
    auto* o = batch.add_observations();
    o->set_tenant(tenant);
    o->set_stream("s");
    o->set_timestamp_ns(i);
    for (int j = 0; j < 3; ++j) o->add_values(0.1 * (i + j));
  }
  return batch;
}

grpc::Status send(anomstream::v1::IngestService::Stub& stub, const std::string& token,
                  const anomstream::v1::ObservationBatch& batch) {
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  anomstream::v1::IngestSummary summary;
  return stub.ObserveBatch(&context, batch, &summary);
}

std::unique_ptr<anomstream::v1::IngestService::Stub> tls_stub(const std::string& target, const std::string& ca,
                                                              const anomstream::test::Pem* client) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca;
  if (client != nullptr) {
    options.pem_private_key = client->key;
    options.pem_cert_chain = client->certificate;
  }
  return anomstream::v1::IngestService::NewStub(grpc::CreateChannel(target, grpc::SslCredentials(options)));
}

double rejected(const DaemonUnderTest& d, const std::string& reason) {
  return d.metric("anomstream_ingest_observations_rejected_total", {{"reason", reason}});
}

}  // namespace

TEST_CASE("mutual TLS: a client certificate from the trusted CA is accepted, none or a stranger's is refused") {
  const auto certs = anomstream::test::make_test_certificates();
  DaemonUnderTest setup("", "mtls-files", false);
  const auto cert = secret_file(setup.dir(), "server.pem", certs.server.certificate);
  const auto key = secret_file(setup.dir(), "server.key", certs.server.key);
  const auto ca = secret_file(setup.dir(), "ca.pem", certs.ca.certificate);
  DaemonUnderTest daemon("server:\n  grpc:\n    tls:\n      cert_file: \"" + cert + "\"\n      key_file: \"" + key +
                             "\"\n      client_ca_file: \"" + ca + "\"\n",
                         "mtls");
  auto trusted = tls_stub(daemon.grpc_target(), certs.ca.certificate, &certs.client);
  CHECK(send(*trusted, "", batch_for("t")).ok());
  auto anonymous = tls_stub(daemon.grpc_target(), certs.ca.certificate, nullptr);
  CHECK_FALSE(send(*anonymous, "", batch_for("t")).ok());
  auto stranger = tls_stub(daemon.grpc_target(), certs.ca.certificate, &certs.stranger);
  CHECK_FALSE(send(*stranger, "", batch_for("t")).ok());
  auto plaintext = anomstream::tools::make_stub(daemon.grpc_target());
  CHECK_FALSE(send(*plaintext, "", batch_for("t")).ok());
  CHECK(daemon.metric("anomstream_ingest_observations_received_total") == 4);  // only the trusted batch
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a key file others may read, or a certificate without a key, stops the start with a clear error") {
  const auto certs = anomstream::test::make_test_certificates();
  DaemonUnderTest setup("", "tls-bad", false);
  const std::string key = setup.dir() + "/loose.key";
  std::ofstream(key) << certs.server.key;
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  const auto cert = secret_file(setup.dir(), "server.pem", certs.server.certificate);
  const auto attempt = [&](const std::string& yaml) {
    DaemonUnderTest daemon(yaml, "tls-bad-run", false);
    return anomstream::test::run_process({anomstream::test::daemon_path(), "--config", daemon.config_path()}, 20s);
  };
  const auto loose = attempt("server:\n  grpc:\n    tls:\n      cert_file: \"" + cert + "\"\n      key_file: \"" +
                             key + "\"\n");
  CHECK(loose.exit_code == 1);
  CHECK(loose.err.find("server.grpc.tls.key_file: \"" + key + "\" has mode 0644") != std::string::npos);
  const auto half = attempt("server:\n  grpc:\n    tls:\n      cert_file: \"" + cert + "\"\n");
  CHECK(half.exit_code == 1);
  CHECK(half.err.find("cert_file and key_file are both needed") != std::string::npos);
}

TEST_CASE("bearer tokens: a token writes only its tenants, watches only what it may, and a reload revokes it" * doctest::test_suite("concurrency")) {
  DaemonUnderTest setup("", "tokens-files", false);
  const std::string tokens = secret_file(setup.dir(), "tokens.yaml",
                                         "tokens:\n"
                                         "  - sha256: " + hex_sha256("token-a") + "\n"
                                         "    tenants: [tenant-a]\n"
                                         "    may: [write]\n"
                                         "  - sha256: " + hex_sha256("token-b") + "\n"
                                         "    tenants: [tenant-b]\n"
                                         "    may: [write, watch]\n");
  DaemonUnderTest daemon("server:\n  grpc:\n    auth:\n      tokens_file: \"" + tokens + "\"\n", "tokens");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  CHECK(send(*stub, "", batch_for("tenant-a")).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(send(*stub, "guess", batch_for("tenant-a")).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(send(*stub, "token-a", batch_for("tenant-a")).ok());
  const auto denied = send(*stub, "token-a", batch_for("tenant-b"));
  CHECK(denied.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(denied.error_message().find("tenant-b") != std::string::npos);
  CHECK(rejected(daemon, "unauthenticated") == 8);
  CHECK(rejected(daemon, "unauthorized") == 4);
  CHECK(daemon.metric("anomstream_ingest_observations_accepted_total") == 4);

  // A refused watch ends at once with its status; an allowed one runs until its deadline.
  const auto watch = [&](const std::string& token, const std::string& tenant) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + 1s);
    anomstream::v1::WatchAlertsRequest request;
    request.set_tenant(tenant);
    auto reader = stub->WatchAlerts(&context, request);
    anomstream::v1::Alert alert;
    while (reader->Read(&alert)) {
    }
    return reader->Finish().error_code();
  };
  CHECK(watch("token-a", "tenant-a") == grpc::StatusCode::PERMISSION_DENIED);  // no watch grant
  CHECK(watch("token-b", "") == grpc::StatusCode::PERMISSION_DENIED);          // all tenants needs "*"
  CHECK(watch("token-b", "tenant-b") == grpc::StatusCode::DEADLINE_EXCEEDED);  // allowed, ran to its deadline
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer token-b");
    anomstream::v1::Feedback feedback;
    feedback.set_alert_id("tenant-b/" + std::string(32, 'a'));
    feedback.set_verdict(anomstream::v1::VERDICT_BENIGN);
    anomstream::v1::FeedbackReply reply;
    CHECK(stub->SubmitFeedback(&context, feedback, &reply).error_code() == grpc::StatusCode::PERMISSION_DENIED);
  }
  // Revoke token-a: a reload re-reads the file.
  secret_file(setup.dir(), "tokens.yaml",
              "tokens:\n  - sha256: " + hex_sha256("token-b") + "\n    tenants: [tenant-b]\n    may: [write]\n");
  daemon.send_signal(SIGHUP);
  REQUIRE(anomstream::test::poll_until(
      [&] { return daemon.metric("anomstream_config_reloads_total", {{"result", "ok"}}) == 1; }));
  CHECK(send(*stub, "token-a", batch_for("tenant-a")).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(send(*stub, "token-b", batch_for("tenant-b")).ok());
  // A loose tokens file is refused on reload, and the table in force stays.
  fs::permissions(tokens, fs::perms::group_read, fs::perm_options::add);
  daemon.send_signal(SIGHUP);
  REQUIRE(anomstream::test::poll_until(
      [&] { return daemon.metric("anomstream_config_reloads_total", {{"result", "error"}}) == 1; }));
  CHECK(send(*stub, "token-b", batch_for("tenant-b")).ok());
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("signed UDP: unsigned, forged, stale, replayed and out-of-scope datagrams are counted and dropped" * doctest::test_suite("concurrency")) {
  const std::string secret_hex(64, 'a');
  DaemonUnderTest setup("", "udp-keys", false);
  const std::string keys = secret_file(setup.dir(), "udp-keys.yaml",
                                       "keys:\n  - id: sensor-1\n    secret_hex: " + secret_hex +
                                           "\n    tenants: [tenant-a]\n");
  DaemonUnderTest daemon("server:\n  udp:\n    auth:\n      keys_file: \"" + keys + "\"\n", "udp-auth");
  anomstream::daemon::UdpKey key;
  key.id = "sensor-1";
  key.secret = std::string(32, static_cast<char>(0xaa));
  const auto now = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  };
  const std::string payload = batch_for("tenant-a").SerializeAsString();
  const std::string good = anomstream::daemon::seal_datagram(key, now(), payload);
  anomstream::test::send_udp(daemon.udp_port(), payload);                           // unsigned
  anomstream::test::send_udp(daemon.udp_port(), good);                              // accepted
  anomstream::test::send_udp(daemon.udp_port(), good);                              // replayed
  std::string forged = good;
  forged[forged.size() - 40] ^= 0x01;                                                // payload bit flipped
  anomstream::test::send_udp(daemon.udp_port(), forged);
  anomstream::test::send_udp(daemon.udp_port(),
                             anomstream::daemon::seal_datagram(key, now() - 3'600'000'000'000ULL, payload));  // stale
  anomstream::test::send_udp(daemon.udp_port(), anomstream::daemon::seal_datagram(
                                                    key, now(), batch_for("tenant-b").SerializeAsString()));
  REQUIRE(anomstream::test::poll_until([&] {
    return daemon.metric("anomstream_ingest_observations_received_total", {{"transport", "udp"}}) == 4 + 4 + 4;
  }));
  CHECK(daemon.metric("anomstream_ingest_observations_accepted_total") == 4);
  CHECK(rejected(daemon, "unauthenticated") == 4);  // unsigned, replayed, forged, stale: one each
  CHECK(rejected(daemon, "unauthorized") == 4);     // the tenant-b batch, observation by observation
  CHECK(daemon.wait_for_output("event=udp_refused"));
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a listener beyond loopback needs credentials, or an explicit and logged opt-out") {
  DaemonUnderTest setup("", "exposure", false);
  const auto start = [&](const std::string& extra) {
    const std::string path = setup.dir() + "/exposed.yaml";
    std::ofstream(path, std::ios::trunc) << "server:\n  grpc:\n    listen: 0.0.0.0:0\n  udp:\n    listen: 127.0.0.1:0\n"
                                            "  metrics:\n    listen: 127.0.0.1:0\n"
                                         << extra;
    anomstream::test::Process process({anomstream::test::daemon_path(), "--config", path});
    const bool ready = process.wait_for_output("event=ready", 20s);
    process.send_signal(SIGTERM);
    auto result = process.wait(20s);
    return std::pair{ready, result.err + result.out};
  };
  const auto [refused_ready, refused] = start("");
  CHECK_FALSE(refused_ready);
  CHECK(refused.find("server.grpc.listen: 0.0.0.0 is not a loopback address") != std::string::npos);
  const auto [allowed_ready, allowed] = start("  allow_insecure_remote: true\n");
  CHECK(allowed_ready);
  CHECK_MESSAGE(allowed.find("event=insecure_listener key=server.grpc.listen") != std::string::npos, allowed);
}

TEST_CASE("basic auth guards /metrics; /healthz and /readyz stay open for probes") {
  DaemonUnderTest setup("", "basic", false);
  const std::string file = secret_file(setup.dir(), "metrics.auth", "prometheus:" + hex_sha256("s3cret") + "\n");
  DaemonUnderTest daemon("server:\n  metrics:\n    auth:\n      basic_file: \"" + file + "\"\n", "basic-auth");
  const auto get = [&](const std::string& path, const std::string& user_password) {
    return anomstream::test::http_status(daemon.metrics_port(), path, user_password);
  };
  CHECK(get("/metrics", "") == 401);
  CHECK(get("/metrics", "prometheus:wrong") == 401);
  CHECK(get("/metrics", "prometheus:s3cret") == 200);
  CHECK(get("/healthz", "") == 200);
  CHECK(get("/readyz", "") == 200);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("client strings cannot forge log lines, and a flood of bad datagrams writes a bounded log") {
  DaemonUnderTest daemon("", "log-escape");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  grpc::ClientContext context;
  anomstream::v1::Feedback feedback;
  // The tenant is what precedes the id's last '/': a line break in it reaches the log
  // (no such alert: NOT_FOUND), escaped.
  feedback.set_alert_id("t\nevent=forged level=critical/" + std::string(32, '0'));
  feedback.set_verdict(anomstream::v1::VERDICT_FALSE_POSITIVE);
  anomstream::v1::FeedbackReply reply;
  CHECK(stub->SubmitFeedback(&context, feedback, &reply).error_code() == grpc::StatusCode::NOT_FOUND);
  for (int i = 0; i < 500; ++i) anomstream::test::send_udp(daemon.udp_port(), "\xff\xfe not protobuf");
  REQUIRE(anomstream::test::poll_until([&] { return rejected(daemon, "malformed") == 500; }));
  const auto result = daemon.stop();
  const std::string log = result.err + result.out;
  CHECK(log.find("\nevent=forged") == std::string::npos);
  CHECK(log.find("t\\x0aevent=forged") != std::string::npos);
  std::size_t refused_lines = 0;
  for (auto at = log.find("event=udp_refused"); at != std::string::npos; at = log.find("event=udp_refused", at + 1)) {
    ++refused_lines;
  }
  CHECK(refused_lines <= 10);
  CHECK(log.find("suppressed=") != std::string::npos);
}

TEST_CASE("anomstreamctl reaches a secured daemon with a token file and signs its UDP datagrams") {
  DaemonUnderTest setup("", "ctl-secure", false);
  const std::string tokens = secret_file(setup.dir(), "tokens.yaml",
                                         "tokens:\n  - sha256: " + hex_sha256("ops-token") +
                                             "\n    tenants: [\"*\"]\n    may: [write, watch]\n");
  const std::string keys = secret_file(setup.dir(), "keys.yaml",
                                       "keys:\n  - id: replay\n    secret_hex: " + std::string(64, 'c') +
                                           "\n    tenants: [\"*\"]\n");
  const std::string token_file = secret_file(setup.dir(), "token", "ops-token\n");
  const std::string key_file = secret_file(setup.dir(), "udp.key", std::string(64, 'c') + "\n");
  DaemonUnderTest daemon("server:\n  grpc:\n    auth:\n      tokens_file: \"" + tokens +
                             "\"\n  udp:\n    auth:\n      keys_file: \"" + keys + "\"\n",
                         "ctl-secured");
  const auto ctl = anomstream::test::ctl_path();
  const auto refused = anomstream::test::run_process({ctl, "status", "--target", daemon.grpc_target()});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("bearer token") != std::string::npos);
  const auto status =
      anomstream::test::run_process({ctl, "status", "--target", daemon.grpc_target(), "--token-file", token_file});
  CHECK_MESSAGE(status.exit_code == 0, status.err);
  const auto grpc_replay = anomstream::test::run_process(
      {ctl, "replay", "--target", daemon.grpc_target(), "--token-file", token_file, "--count", "200"});
  CHECK_MESSAGE(grpc_replay.exit_code == 0, grpc_replay.err);
  const auto udp_replay = anomstream::test::run_process(
      {ctl, "replay", "--udp", "127.0.0.1:" + std::to_string(daemon.udp_port()), "--udp-key-id", "replay",
       "--udp-key-file", key_file, "--count", "200", "--batch", "20"});
  CHECK_MESSAGE(udp_replay.exit_code == 0, udp_replay.err);
  CHECK(anomstream::test::poll_until(
      [&] { return daemon.metric("anomstream_ingest_observations_accepted_total") == 400; }, 10s));
  CHECK(rejected(daemon, "unauthenticated") == 0);
  CHECK(daemon.stop().exit_code == 0);
}
