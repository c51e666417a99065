// The analyst's loop on the real daemon: alerts carry unguessable ids, a cluster and a
// probability; SubmitFeedback finds an alert only within its own tenant; a false-positive
// verdict suppresses the stream's later similar alerts (counted, audited, not raised)
// while a different anomaly still alerts; verdicts survive a restart.

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "anomstream/triage/alert_record.hpp"
#include "client.hpp"
#include "daemon_fixture.hpp"

using anomstream::test::DaemonUnderTest;
using anomstream::test::read_lines;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path path;
  explicit Scratch(const std::string& name) {
    path = fs::temp_directory_path() / ("anomstream-it-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Scratch() { fs::remove_all(path); }
};

// Three noisy features; `spikes` maps a time to the feature pushed up by 8 at that time.
void send(anomstream::v1::IngestService::Stub& stub, const std::string& tenant, int from, int to,
          const std::map<int, int>& spikes) {
  for (int start = from; start < to; start += 100) {
    anomstream::v1::ObservationBatch batch;
    for (int t = start; t < std::min(to, start + 100); ++t) {
      std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 7919U + tenant.size());
      std::normal_distribution<double> noise(0.0, 1.0);
      auto* o = batch.add_observations();
      o->set_tenant(tenant);
      o->set_stream("s");
      o->set_timestamp_ns(t);
      for (int j = 0; j < 3; ++j) {
        const auto spike = spikes.find(t);
        o->add_values(noise(rng) + (spike != spikes.end() && spike->second == j ? 8.0 : 0.0));
      }
    }
    grpc::ClientContext context;
    anomstream::v1::IngestSummary summary;
    REQUIRE(stub.ObserveBatch(&context, batch, &summary).ok());
    REQUIRE(summary.accepted() == static_cast<std::uint64_t>(batch.observations_size()));
  }
}

grpc::Status verdict(anomstream::v1::IngestService::Stub& stub, const std::string& id, anomstream::v1::Verdict v,
                     anomstream::v1::FeedbackReply& reply) {
  grpc::ClientContext context;
  anomstream::v1::Feedback feedback;
  feedback.set_alert_id(id);
  feedback.set_verdict(v);
  return stub.SubmitFeedback(&context, feedback, &reply);
}

// The JSON-lines alert at observation time `t`, "" when none.
std::string alert_at(const std::vector<std::string>& lines, int t) {
  for (const auto& line : lines) {
    if (line.find("\"timestamp_ns\":" + std::to_string(t) + ",") != std::string::npos) return line;
  }
  return "";
}

std::string field(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\":");
  REQUIRE(at != std::string::npos);
  const auto begin = at + key.size() + 3;
  if (line[begin] == '"') return line.substr(begin + 1, line.find('"', begin + 1) - begin - 1);
  return line.substr(begin, line.find_first_of(",}", begin) - begin);
}

// The audit log holds an `alert_suppressed` entry for the observation at time `t`.
bool suppressed_in_audit(const fs::path& audit, int t) {
  for (const auto& line : read_lines(audit.string())) {
    if (line.find("alert_suppressed") != std::string::npos &&
        line.find("\\\"timestamp_ns\\\":" + std::to_string(t) + ",") != std::string::npos &&
        line.find("\\\"suppressed\\\":true") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// "t/" and 32 lowercase hex digits.
bool is_alert_id(const std::string& id) {
  return id.size() == 34 && id.starts_with("t/") &&
         id.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
}

}  // namespace

TEST_CASE("feedback: tenant-scoped ids, a false positive suppresses similar alerts (audited), verdicts survive a restart") {
  Scratch scratch("triage");
  const auto key = scratch.path / "audit.key";
  std::ofstream(key) << "integration-triage-key-0123456789\n";
  ::chmod(key.c_str(), 0600);
  const auto alerts = scratch.path / "alerts.jsonl";
  const auto audit = scratch.path / "audit.log";
  const std::string yaml = "workers:\n  count: 1\npipeline:\n  forest:\n    num_trees: 50\n    sample_size: 64\n"
                           // 24 bits: the other feature's spike never shares the verdict's signature.
                           "triage:\n  feedback:\n    bits: 24\n    escalation: 2\n"
                           "state:\n  dir: \"" + (scratch.path / "state").string() +
                           "\"\nsinks:\n  json_lines: \"" + alerts.string() + "\"\naudit:\n  path: \"" +
                           audit.string() + "\"\n  key_file: \"" + key.string() + "\"\n";
  std::string first_id;
  std::string other_id;
  {
    DaemonUnderTest daemon(yaml, "triage-first");
    auto stub = anomstream::tools::make_stub(daemon.grpc_target());
    send(*stub, "t", 0, 2000, {{1500, 1}});
    REQUIRE(anomstream::test::poll_until([&] { return !alert_at(read_lines(alerts.string()), 1500).empty(); }));
    const std::string first = alert_at(read_lines(alerts.string()), 1500);
    first_id = field(first, "alert_id");
    CHECK(is_alert_id(first_id));
    CHECK(std::stoull(field(first, "cluster_id")) >= 1);
    CHECK(field(first, "probability") == "0.5");
    CHECK(field(first, "feedback").empty());
    CHECK(field(first, "model_version").find('/') != std::string::npos);

    anomstream::v1::FeedbackReply reply;
    const std::string hex = first_id.substr(2);
    // Malformed, unknown, or another tenant's name on this alert's random part.
    CHECK(verdict(*stub, "t/s/1", anomstream::v1::VERDICT_FALSE_POSITIVE, reply).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(verdict(*stub, first_id, anomstream::v1::VERDICT_UNSPECIFIED, reply).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(verdict(*stub, "t/" + std::string(32, '0'), anomstream::v1::VERDICT_FALSE_POSITIVE, reply).error_code() ==
          grpc::StatusCode::NOT_FOUND);
    CHECK(verdict(*stub, "u/" + hex, anomstream::v1::VERDICT_FALSE_POSITIVE, reply).error_code() ==
          grpc::StatusCode::NOT_FOUND);
    // The verdict: stored once as the first, a repeat is not.
    REQUIRE(verdict(*stub, first_id, anomstream::v1::VERDICT_FALSE_POSITIVE, reply).ok());
    CHECK(reply.known_alert());
    CHECK(reply.first_verdict());
    CHECK(reply.cluster_id() == std::stoull(field(first, "cluster_id")));
    CHECK(reply.probability() < 0.5);  // one false positive at this margin: less likely confirmed
    REQUIRE(verdict(*stub, first_id, anomstream::v1::VERDICT_FALSE_POSITIVE, reply).ok());
    CHECK_FALSE(reply.first_verdict());
    CHECK(daemon.metric("anomstream_feedback_verdicts_total", {{"result", "recorded"}}) == 2);
    CHECK(daemon.metric("anomstream_feedback_verdicts_total", {{"result", "not_found"}}) == 2);
    CHECK(daemon.metric("anomstream_feedback_verdicts_total", {{"result", "refused"}}) == 2);

    // The same anomaly again is suppressed; one on another feature is raised.
    send(*stub, "t", 2000, 3000, {{2500, 1}, {2700, 2}});
    REQUIRE(anomstream::test::poll_until([&] { return !alert_at(read_lines(alerts.string()), 2700).empty(); }));
    REQUIRE(anomstream::test::poll_until([&] { return daemon.metric("anomstream_alerts_suppressed_total") >= 1; }));
    const auto lines = read_lines(alerts.string());
    CHECK(alert_at(lines, 2500).empty());
    other_id = field(alert_at(lines, 2700), "alert_id");
    CHECK(other_id != first_id);
    CHECK(daemon.stop().exit_code == 0);
  }
  CHECK(suppressed_in_audit(audit, 2500));

  // After a restart: the tenant's desk comes back with its state, so the old alerts still
  // take verdicts, the false positive still suppresses, and new ids are new.
  DaemonUnderTest daemon(yaml, "triage-second");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::v1::FeedbackReply reply;
  REQUIRE(verdict(*stub, first_id, anomstream::v1::VERDICT_FALSE_POSITIVE, reply).ok());
  CHECK_FALSE(reply.first_verdict());
  REQUIRE(verdict(*stub, other_id, anomstream::v1::VERDICT_TRUE_POSITIVE, reply).ok());
  CHECK(reply.first_verdict());
  send(*stub, "t", 3000, 4000, {{3500, 1}, {3700, 2}});
  REQUIRE(anomstream::test::poll_until([&] { return !alert_at(read_lines(alerts.string()), 3700).empty(); }));
  CHECK(anomstream::test::poll_until([&] { return daemon.metric("anomstream_alerts_suppressed_total") >= 1; }));
  const auto lines = read_lines(alerts.string());
  CHECK(alert_at(lines, 3500).empty());
  std::set<std::string> ids;
  for (const auto& line : lines) ids.insert(field(line, "alert_id"));
  CHECK(ids.size() == lines.size());
  CHECK(daemon.stop().exit_code == 0);
  CHECK(suppressed_in_audit(audit, 3500));
}

TEST_CASE("ExplainAlert: SAGE importance of the alert's stream model; a constant feature gets none to speak of; "
          "every alert is also a strict AlertRecord line") {
  DaemonUnderTest daemon("workers:\n  count: 1\npipeline:\n  forest:\n    num_trees: 50\n    sample_size: 64\n"
                         "sinks:\n  json_lines: \"{dir}/alerts.jsonl\"\n  records: \"{dir}/records.jsonl\"\n",
                         "explain");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::v1::ObservationBatch batch;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int t = 0; t < 1000; ++t) {
    auto* o = batch.add_observations();
    o->set_tenant("t");
    o->set_stream("s");
    o->set_timestamp_ns(t);
    o->add_values(noise(rng) + (t == 900 ? 9.0 : 0.0));
    o->add_values(noise(rng));
    o->add_values(5.0);  // never moves: the score cannot depend on it
    if (batch.observations_size() == 100) {
      grpc::ClientContext context;
      anomstream::v1::IngestSummary summary;
      REQUIRE(stub->ObserveBatch(&context, batch, &summary).ok());
      batch.Clear();
    }
  }
  const std::string alerts = daemon.dir() + "/alerts.jsonl";
  REQUIRE(anomstream::test::poll_until([&] { return !alert_at(read_lines(alerts), 900).empty(); }));
  const std::string id = field(alert_at(read_lines(alerts), 900), "alert_id");

  grpc::ClientContext context;
  anomstream::v1::ExplainRequest request;
  request.set_alert_id(id);
  anomstream::v1::ExplainReply reply;
  REQUIRE(stub->ExplainAlert(&context, request, &reply).ok());
  CHECK(reply.stream() == "s");
  CHECK(reply.detector() == "forest");
  REQUIRE(reply.features_size() == 3);
  CHECK(reply.rows() >= 32);
  CHECK(reply.background_rows() == 16);
  CHECK(reply.permutations() >= 32);
  CHECK(reply.permutations() <= 512);
  std::map<std::uint32_t, anomstream::v1::FeatureImportance> by_index;
  for (const auto& f : reply.features()) by_index[f.index()] = f;
  MESSAGE("SAGE values: " << by_index[0].value() << " +- " << by_index[0].std_error() << ", "
                          << by_index[1].value() << " +- " << by_index[1].std_error() << ", "
                          << by_index[2].value() << " +- " << by_index[2].std_error());
  // The constant feature moved only while the normaliser's statistics settled (the
  // forest keeps points as they were scaled then): not distinguishable from zero, while
  // the two noisy features are, by more than 3 standard errors.
  CHECK(by_index[2].value() <= 2 * by_index[2].std_error() + 1e-12);
  CHECK(by_index[0].value() > 3 * by_index[0].std_error());
  CHECK(by_index[1].value() > 3 * by_index[1].std_error());
  CHECK(reply.features(2).index() == 2);  // largest first: the constant one last

  grpc::ClientContext unknown;
  request.set_alert_id("t/" + std::string(32, 'f'));
  CHECK(stub->ExplainAlert(&unknown, request, &reply).error_code() == grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext malformed;
  request.set_alert_id("t");
  CHECK(stub->ExplainAlert(&malformed, request, &reply).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  const auto ctl = anomstream::test::run_process({anomstream::test::ctl_path(), "explain", "--alert-id", id,
                                                  "--target", daemon.grpc_target()});
  CHECK(ctl.exit_code == 0);
  CHECK(ctl.out.find("SAGE importance") != std::string::npos);
  CHECK(daemon.stop().exit_code == 0);

  // The records file holds the same alerts, each one parsing under the strict schema.
  const auto lines = read_lines(alerts);
  const auto records = read_lines(daemon.dir() + "/records.jsonl");
  REQUIRE(records.size() == lines.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto record = anomstream::triage::AlertRecord::from_json(records[i]);
    REQUIRE(record);
    const auto& c = record->context();
    CHECK(c.alert_id == field(lines[i], "alert_id"));
    CHECK(c.cluster_id == std::stoull(field(lines[i], "cluster_id")));
    CHECK(c.timestamp_ns == std::stoll(field(lines[i], "timestamp_ns")));
    CHECK(c.probability == 0.5);
    CHECK_FALSE(c.attribution.empty());
    CHECK(c.model_version == field(lines[i], "model_version"));
  }
}

TEST_CASE("feedback while the tenant's worker queue is full is UNAVAILABLE, counted, and changes nothing") {
  Scratch scratch("triage-full");
  const auto alerts = scratch.path / "alerts.jsonl";
  // One worker with a queue of one: a flood keeps it full, so a verdict finds no room.
  const std::string yaml = "workers:\n  count: 1\n  queue_capacity: 1\n"
                           "sinks:\n  json_lines: \"" + alerts.string() + "\"\n";
  DaemonUnderTest daemon(yaml, "triage-full");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  // The stream one observation per call, each resent until the queue takes it.
  for (int t = 0; t < 1600; ++t) {
    anomstream::v1::ObservationBatch batch;
    auto* o = batch.add_observations();
    o->set_tenant("t");
    o->set_stream("s");
    o->set_timestamp_ns(t);
    std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 7919U + 1);
    std::normal_distribution<double> noise(0.0, 1.0);
    for (int j = 0; j < 3; ++j) o->add_values(noise(rng) + (t == 1500 && j == 1 ? 8.0 : 0.0));
    REQUIRE(anomstream::test::poll_until([&] {
      grpc::ClientContext context;
      anomstream::v1::IngestSummary summary;
      return stub->ObserveBatch(&context, batch, &summary).ok() && summary.accepted() == 1;
    }));
  }
  REQUIRE(anomstream::test::poll_until([&] { return !alert_at(read_lines(alerts.string()), 1500).empty(); }));
  const std::string id = field(alert_at(read_lines(alerts.string()), 1500), "alert_id");

  std::atomic<bool> stop{false};
  std::thread flood([&] {
    auto flood_stub = anomstream::tools::make_stub(daemon.grpc_target());
    anomstream::v1::ObservationBatch batch;
    for (int t = 0; t < 512; ++t) {
      auto* o = batch.add_observations();
      o->set_tenant("t");
      o->set_stream("flood");
      o->set_timestamp_ns(t);
      for (int j = 0; j < 3; ++j) o->add_values(static_cast<double>((t * 7 + j) % 13));
    }
    while (!stop.load()) {
      grpc::ClientContext context;
      anomstream::v1::IngestSummary summary;
      (void)flood_stub->ObserveBatch(&context, batch, &summary);  // most are refused: queue_full
    }
  });
  int stored = 0;
  grpc::Status refused;
  const bool unavailable = anomstream::test::poll_until([&] {
    anomstream::v1::FeedbackReply reply;
    const auto status = verdict(*stub, id, anomstream::v1::VERDICT_FALSE_POSITIVE, reply);
    if (status.ok()) ++stored;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) refused = status;
    return status.error_code() == grpc::StatusCode::UNAVAILABLE;
  });
  stop = true;
  flood.join();
  REQUIRE(unavailable);
  CHECK(refused.error_message().find("worker queue is full") != std::string::npos);
  CHECK(daemon.metric("anomstream_feedback_verdicts_total", {{"result", "failed"}}) >= 1);
  CHECK(daemon.metric("anomstream_feedback_verdicts_total", {{"result", "recorded"}}) == stored);
  // The refused verdict left no trace: once there is room, this is the alert's first
  // verdict unless one of the attempts before the refusal was stored.
  anomstream::v1::FeedbackReply reply;
  REQUIRE(anomstream::test::poll_until(
      [&] { return verdict(*stub, id, anomstream::v1::VERDICT_FALSE_POSITIVE, reply).ok(); }));
  CHECK(reply.first_verdict() == (stored == 0));
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a verdict is written through: it survives kill -9 right after it is stored") {
  Scratch scratch("triage-kill");
  const auto alerts = scratch.path / "alerts.jsonl";
  // Periodic snapshots far away: only the write-through can save the verdict.
  const std::string yaml = "workers:\n  count: 1\npipeline:\n  forest:\n    num_trees: 50\n    sample_size: 64\n"
                           "state:\n  dir: \"" + (scratch.path / "state").string() +
                           "\"\n  snapshot_interval_s: 86400\nsinks:\n  json_lines: \"" + alerts.string() + "\"\n";
  std::string id;
  {
    DaemonUnderTest daemon(yaml, "triage-kill-first");
    auto stub = anomstream::tools::make_stub(daemon.grpc_target());
    send(*stub, "t", 0, 2000, {{1500, 1}});
    REQUIRE(anomstream::test::poll_until([&] { return !alert_at(read_lines(alerts.string()), 1500).empty(); }));
    id = field(alert_at(read_lines(alerts.string()), 1500), "alert_id");
    CHECK(daemon.metric("anomstream_state_snapshots_written_total") == 0);
    anomstream::v1::FeedbackReply reply;
    REQUIRE(verdict(*stub, id, anomstream::v1::VERDICT_FALSE_POSITIVE, reply).ok());
    CHECK(reply.first_verdict());
    REQUIRE(anomstream::test::poll_until(
        [&] { return daemon.metric("anomstream_state_snapshots_written_total") >= 1; }));
    daemon.kill();
  }
  DaemonUnderTest daemon(yaml, "triage-kill-second");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::v1::FeedbackReply reply;
  REQUIRE(verdict(*stub, id, anomstream::v1::VERDICT_FALSE_POSITIVE, reply).ok());
  CHECK_FALSE(reply.first_verdict());  // the verdict before the kill came back with the tenant
  CHECK(daemon.metric("anomstream_state_restored_total") == 1);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a records file that cannot be opened stops the start, naming the key") {
  Scratch scratch("records-refused");
  const auto config = scratch.path / "d.yaml";
  std::ofstream(config) << "server:\n  grpc:\n    listen: \"127.0.0.1:0\"\n  udp:\n    listen: \"127.0.0.1:0\"\n"
                           "  metrics:\n    listen: \"127.0.0.1:0\"\nsinks:\n  records: \""
                        << (scratch.path / "missing" / "records.jsonl").string() << "\"\n";
  const auto r = anomstream::test::run_process({anomstream::test::daemon_path(), "--config", config.string()});
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("sinks.records: cannot open") != std::string::npos);
}
