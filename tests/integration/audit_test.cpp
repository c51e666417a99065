// The audit log across a crash: the real daemon audits alerts, is killed with SIGKILL
// mid-stream, finds a torn half-line at the end of its log when it restarts, moves it
// aside, records the recovery and starts; `anomstreamctl audit verify` accepts the log
// and reports the recovered tail, and still catches a flipped byte. A tampered last entry
// or a key file others may read keeps the daemon from starting. SIGHUP continues the
// chain in a new file after logrotate.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "anomstream/triage/audit_chain.hpp"
#include "anomstream/triage/audit_events.hpp"
#include "client.hpp"
#include "daemon_fixture.hpp"
#include "temp_dir.hpp"
#include "traffic_generator.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
using anomstream::test::ProcessResult;
namespace fs = std::filesystem;

namespace {

const std::string SMALL_FOREST = "pipeline:\n  forest:\n    num_trees: 50\n    sample_size: 64\n";

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string write_key(const anomstream::test::TempDir& dir, fs::perms perms) {
  const auto key = dir.write("audit.key", "integration-audit-key-0123456789\n");
  fs::permissions(key, perms);
  return key.string();
}

std::string audit_yaml(const std::string& log, const std::string& key) {
  return SMALL_FOREST + "sinks:\n  json_lines: \"\"\naudit:\n  path: \"" + log + "\"\n  key_file: \"" + key + "\"\n";
}

// Runs the daemon on `yaml` (listeners on port 0) expecting it not to start.
ProcessResult start_expecting_failure(const anomstream::test::TempDir& dir, const std::string& yaml) {
  const auto config = dir.write("refused.yaml", "server:\n  grpc:\n    listen: 127.0.0.1:0\n  udp:\n    listen: "
                                                "127.0.0.1:0\n  metrics:\n    listen: 127.0.0.1:0\n" + yaml);
  return anomstream::test::run_process({anomstream::test::daemon_path(), "--config", config.string()});
}

ProcessResult verify(const std::string& log, const std::string& key) {
  return anomstream::test::run_process({anomstream::test::ctl_path(), "audit", "verify", log, "--key-file", key});
}

double metric(const DaemonUnderTest& daemon, const std::string& name) {
  return anomstream::test::metric_sum(
      anomstream::test::parse_metrics(anomstream::test::http_get(daemon.metrics_port(), "/metrics")), name);
}

std::string kind_of(const std::string& line) {
  auto entry = anomstream::triage::parse_audit_line(line);
  REQUIRE(entry);
  return entry->kind;
}

}  // namespace

TEST_CASE("after kill -9 and a torn last line the daemon recovers its audit log, starts, and the log verifies") {
  anomstream::test::TempDir scratch;
  const std::string key = write_key(scratch, fs::perms::owner_read | fs::perms::owner_write);
  const std::string log = (scratch.path() / "audit.log").string();

  // Feed observations until alerts have been audited, then let the workers go idle.
  std::uint64_t sent = 0;
  std::size_t entries_before_kill = 0;
  {
    DaemonUnderTest daemon(audit_yaml(log, key), "audit-crash");
    auto stub = anomstream::tools::make_stub(daemon.grpc_target());
    anomstream::tools::TrafficGenerator generator(
        {.seed = 5, .tenants = 1, .streams_per_tenant = 1, .anomaly_rate = 0.02, .warmup_steps = 200});
    REQUIRE(anomstream::test::poll_until(
        [&] {
          anomstream::v1::ObservationBatch batch;
          for (int i = 0; i < 100; ++i) anomstream::tools::to_wire(generator.next(), *batch.add_observations());
          grpc::ClientContext context;
          anomstream::v1::IngestSummary summary;
          if (!stub->ObserveBatch(&context, batch, &summary).ok()) return false;
          sent += summary.accepted();
          return metric(daemon, "anomstream_audit_entries_total") >= 4;  // config_load and 3 alerts
        },
        60s));
    REQUIRE(anomstream::test::poll_until(
        [&] { return metric(daemon, "anomstream_worker_observations_scored_total") == static_cast<double>(sent); }));
    entries_before_kill = static_cast<std::size_t>(metric(daemon, "anomstream_audit_entries_total"));
    const auto killed = daemon.kill();
    CHECK(killed.signal == SIGKILL);
  }

  // Every entry the daemon counted is a whole line on disk: nothing sat in a buffer.
  auto lines = read_lines(log);
  REQUIRE(lines.size() == entries_before_kill);
  REQUIRE(read_file(log).back() == '\n');
  const auto last_sequence = lines.size();

  // A crash in the middle of the next write: half a line, no newline.
  const std::string torn = lines.back().substr(0, lines.back().size() / 2);
  std::ofstream(log, std::ios::binary | std::ios::app) << torn;

  std::unique_ptr<DaemonUnderTest> restarted;
  REQUIRE_NOTHROW(restarted = std::make_unique<DaemonUnderTest>(audit_yaml(log, key), "audit-restart"));
  const auto stopped = restarted->stop();
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.err.find("event=audit_recovered") != std::string::npos);

  lines = read_lines(log);
  REQUIRE(lines.size() == last_sequence + 3);  // audit_recovered, config_load, stop
  CHECK(kind_of(lines[last_sequence]) == "audit_recovered");
  auto recovery = anomstream::triage::parse_audit_recovered_payload(
      anomstream::triage::parse_audit_line(lines[last_sequence])->payload);
  REQUIRE(recovery);
  CHECK(recovery->last_good_sequence == last_sequence);
  CHECK(recovery->torn_bytes == torn.size());
  CHECK(read_file((scratch.path() / recovery->side_file).string()) == torn);

  const auto ok = verify(log, key);
  INFO(ok.out, ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find(": ok, " + std::to_string(lines.size()) + " entries") != std::string::npos);
  CHECK(ok.out.find("recovered torn tail: " + std::to_string(torn.size()) + " bytes after sequence " +
                    std::to_string(last_sequence)) != std::string::npos);

  // A flipped byte in an audited alert is still reported at its line.
  const std::string intact = read_file(log);
  auto tampered = lines;
  std::size_t victim = 1;
  while (kind_of(tampered[victim]) != "alert") ++victim;
  const auto at = tampered[victim].find("\\\"score\\\":");
  REQUIRE(at != std::string::npos);
  tampered[victim][at + 10] ^= 0x01;
  std::string text;
  for (const auto& line : tampered) text += line + "\n";
  write_file(log, text);
  const auto broken = verify(log, key);
  INFO(broken.out, broken.err);
  CHECK(broken.exit_code == 1);
  CHECK(broken.out.find("BROKEN at line " + std::to_string(victim + 1)) != std::string::npos);

  // An altered last entry is tampering, not a torn write: the daemon will not start on it.
  tampered = lines;
  auto& last = tampered.back();
  const auto mac = last.find("\"mac\":\"") + 7;
  last[mac] = last[mac] == '0' ? '1' : '0';
  text.clear();
  for (const auto& line : tampered) text += line + "\n";
  write_file(log, text);
  const auto refused = start_expecting_failure(scratch, audit_yaml(log, key));
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("its last entry (sequence " + std::to_string(lines.size()) + ") does not verify") !=
        std::string::npos);
  CHECK(refused.err.find("refusing to fork the chain") != std::string::npos);
  CHECK(read_file(log) == text);
  write_file(log, intact);
}

TEST_CASE("SIGHUP after logrotate moved the log: the chain continues in a new file and verifies across both") {
  anomstream::test::TempDir scratch;
  const std::string key = write_key(scratch, fs::perms::owner_read | fs::perms::owner_write);
  const std::string log = (scratch.path() / "audit.log").string();
  DaemonUnderTest daemon(audit_yaml(log, key), "audit-reopen");
  const std::string moved = log + ".1";
  fs::rename(log, moved);
  daemon.send_signal(SIGHUP);
  REQUIRE(daemon.wait_for_output("event=audit_reopened"));
  const auto stopped = daemon.stop();
  CHECK(stopped.exit_code == 0);
  REQUIRE(read_lines(moved).size() == 1);  // config_load
  REQUIRE(read_lines(log).size() == 2);    // in the new file: the reload SIGHUP made, and stop
  CHECK(kind_of(read_lines(log)[0]) == "config_reload");
  CHECK(kind_of(read_lines(log)[1]) == "stop");
  const auto across = anomstream::test::run_process(
      {anomstream::test::ctl_path(), "audit", "verify", moved, log, "--key-file", key});
  INFO(across.out, across.err);
  CHECK(across.exit_code == 0);
  CHECK(across.out.find("(2 files): ok, 3 entries, last sequence 3") != std::string::npos);
}

TEST_CASE("the daemon and verify refuse an audit key file that its group or others may read") {
  anomstream::test::TempDir scratch;
  const std::string key = write_key(scratch, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                                 fs::perms::others_read);
  const std::string log = (scratch.path() / "audit.log").string();
  const auto refused = start_expecting_failure(scratch, audit_yaml(log, key));
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("audit.key_file: \"" + key + "\" has mode 0644") != std::string::npos);
  CHECK_FALSE(fs::exists(log));

  scratch.write("audit.log", "");
  const auto verify_refused = verify(log, key);
  CHECK(verify_refused.exit_code == 2);
  CHECK(verify_refused.err.find("--key-file: \"" + key + "\" has mode 0644") != std::string::npos);
}
