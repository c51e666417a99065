// A restart, clean or not, loses only what the loss window says and never stops the
// daemon from starting: models are persisted and restored, bad state files are
// quarantined, SIGHUP reloads, the stop is bounded and delivers what it drained, and the
// daemon reports its health.

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <tuple>

#include <grpcpp/generic/generic_stub.h>

#include "client.hpp"
#include "daemon_fixture.hpp"
#include "traffic_generator.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
using anomstream::test::http_response;
using anomstream::test::status_of;
namespace fs = std::filesystem;

namespace {

// A directory outlasting the daemons that use it in turn.
struct SharedDir {
  fs::path path;
  explicit SharedDir(const std::string& name) {
    path = fs::temp_directory_path() / ("anomstream-it-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~SharedDir() { fs::remove_all(path); }
};

anomstream::tools::TrafficConfig traffic(std::uint32_t tenants = 2) {
  return {.seed = 17, .tenants = tenants, .streams_per_tenant = 2, .anomaly_rate = 0.01, .warmup_steps = 400};
}

// Sends observations [from, to) of the generator's sequence in batches of 100 and waits
// until the daemon has scored all it accepted.
void send(const DaemonUnderTest& daemon, const anomstream::tools::TrafficConfig& config, std::size_t from,
          std::size_t to) {
  anomstream::tools::TrafficGenerator generator(config);
  for (std::size_t i = 0; i < from; ++i) (void)generator.next();
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  const double scored_before = daemon.metric("anomstream_worker_observations_scored_total");
  for (std::size_t i = from; i < to;) {
    anomstream::v1::ObservationBatch batch;
    for (; i < to && batch.observations_size() < 100; ++i) {
      anomstream::tools::to_wire(generator.next(), *batch.add_observations());
    }
    grpc::ClientContext context;
    anomstream::v1::IngestSummary summary;
    REQUIRE(stub->ObserveBatch(&context, batch, &summary).ok());
    REQUIRE(summary.accepted() == static_cast<std::uint64_t>(batch.observations_size()));
  }
  REQUIRE(anomstream::test::poll_until([&] {
    return daemon.metric("anomstream_worker_observations_scored_total") == scored_before + static_cast<double>(to - from);
  }));
}

using AlertKey = std::tuple<std::string, std::string, std::int64_t, double>;

// (tenant, stream, timestamp, score) of every alert in a JSON-lines file.
std::vector<AlertKey> alerts_in(const fs::path& file) {
  std::vector<AlertKey> out;
  std::ifstream in(file);
  const auto field = [](const std::string& line, const std::string& name) {
    const auto at = line.find("\"" + name + "\":");
    REQUIRE(at != std::string::npos);
    const auto start = at + name.size() + 3;
    if (line[start] == '"') return line.substr(start + 1, line.find('"', start + 1) - start - 1);
    return line.substr(start, line.find_first_of(",}", start) - start);
  };
  for (std::string line; std::getline(in, line);) {
    out.emplace_back(field(line, "tenant"), field(line, "stream"), std::stoll(field(line, "timestamp_ns")),
                     std::stod(field(line, "score")));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string state_yaml(const fs::path& dir, const fs::path& alerts, int interval_s = 300) {
  return "workers:\n  count: 1\nstate:\n  dir: \"" + dir.string() + "\"\n  snapshot_interval_s: " +
         std::to_string(interval_s) + "\nsinks:\n  json_lines: \"" + alerts.string() + "\"\n";
}

// One field of the daemon's stop line ("event=stopped received=... alerts=...").
std::uint64_t stop_field(const std::string& output, const std::string& name) {
  const auto line = output.find("event=stopped");
  REQUIRE(line != std::string::npos);
  const auto at = output.find(" " + name + "=", line);
  REQUIRE(at != std::string::npos);
  return std::stoull(output.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("N observations, SIGTERM, restart, M more: exactly the alerts of one uninterrupted run" * doctest::test_suite("concurrency")) {
  // Every stream on the forest; or kmeans by default with host-1 on the forest, so one
  // tenant file holds both kinds of state.
  std::string detectors;
  SUBCASE("forest") {}
  SUBCASE("kmeans and forest") {
    detectors = "pipeline:\n  detector: kmeans\n  streams:\n    forest: [host-1]\n"
                "  kmeans:\n    warmup: 300\n    reservoir: 300\n";
  }
  SharedDir shared("roundtrip");
  constexpr std::size_t N = 2400;
  constexpr std::size_t M = 2400;
  {
    DaemonUnderTest first(state_yaml(shared.path / "state", shared.path / "restarted.jsonl") + detectors, "first");
    send(first, traffic(), 0, N);
    CHECK(first.stop().exit_code == 0);
  }
  {
    DaemonUnderTest second(state_yaml(shared.path / "state", shared.path / "restarted.jsonl") + detectors, "second");
    send(second, traffic(), N, N + M);
    CHECK(second.metric("anomstream_state_restored_total") == 2);  // both tenants came back warm
    CHECK(second.stop().exit_code == 0);
  }
  {
    DaemonUnderTest whole(state_yaml(shared.path / "whole-state", shared.path / "whole.jsonl") + detectors, "whole");
    send(whole, traffic(), 0, N + M);
    CHECK(whole.stop().exit_code == 0);
  }
  const auto restarted = alerts_in(shared.path / "restarted.jsonl");
  const auto whole = alerts_in(shared.path / "whole.jsonl");
  CHECK(whole.size() >= 20);
  if (!detectors.empty()) {
    // Both detectors raised alerts, each on its own streams.
    std::ifstream in(shared.path / "whole.jsonl");
    std::set<std::string> seen;
    for (std::string line; std::getline(in, line);) {
      const bool forest_stream = line.find("\"stream\":\"host-1\"") != std::string::npos;
      CHECK(line.find(forest_stream ? "\"detector\":\"forest\"" : "\"detector\":\"kmeans\"") != std::string::npos);
      seen.insert(forest_stream ? "forest" : "kmeans");
    }
    CHECK(seen.size() == 2);
  }
  CHECK(restarted == whole);  // scores compared exactly, not to 1e-9
  // Alerts of the second half exist, so the restored models were exercised.
  CHECK(std::count_if(whole.begin(), whole.end(), [&](const AlertKey& a) {
          return std::get<2>(a) >= traffic().start_ns + static_cast<std::int64_t>(N / 4) * traffic().step_ns;
        }) > 0);
}

TEST_CASE("a damaged, foreign or mismatched state file is quarantined and its tenant starts cold") {
  SharedDir shared("quarantine");
  const auto state = shared.path / "state";
  {
    DaemonUnderTest writer(state_yaml(state, shared.path / "a.jsonl"), "writer");
    send(writer, traffic(3), 0, 1800);
    CHECK(writer.stop().exit_code == 0);
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(state / "tenants")) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 3);
  fs::resize_file(files[0], fs::file_size(files[0]) - 100);  // torn
  {
    std::fstream f(files[1], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(files[1]) / 2));
    f.put('\x55');  // one flipped byte in the body
  }
  {
    DaemonUnderTest reader(state_yaml(state, shared.path / "b.jsonl"), "reader");
    send(reader, traffic(3), 1800, 2400);
    CHECK(reader.metric("anomstream_state_quarantined_total", {{"reason", "truncated"}}) == 1);
    CHECK(reader.metric("anomstream_state_quarantined_total", {{"reason", "bad_digest"}}) == 1);
    CHECK(reader.metric("anomstream_state_restored_total") == 1);
    CHECK(reader.wait_for_output("event=state_quarantined"));
    CHECK(reader.stop().exit_code == 0);
  }
  std::size_t quarantined = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(state / "quarantine")) ++quarantined;
  CHECK(quarantined == 2);
  // Another seed means other forests: no state of the old model is restored.
  {
    DaemonUnderTest other(state_yaml(state, shared.path / "c.jsonl") + "pipeline:\n  forest:\n    seed: 7\n", "other");
    send(other, traffic(3), 2400, 2500);
    CHECK(other.metric("anomstream_state_quarantined_total", {{"reason", "config_mismatch"}}) >= 3);
    CHECK(other.metric("anomstream_state_restored_total") == 0);
    CHECK(other.stop().exit_code == 0);
  }
}

TEST_CASE("kill -9 after a snapshot interval: the daemon restarts and restores every tenant") {
  SharedDir shared("kill");
  const auto state = shared.path / "state";
  {
    DaemonUnderTest victim(state_yaml(state, shared.path / "a.jsonl", 1), "victim");
    send(victim, traffic(), 0, 1200);
    REQUIRE(anomstream::test::poll_until([&] { return victim.metric("anomstream_state_snapshots_written_total") >= 2; }));
    victim.kill();
  }
  DaemonUnderTest revived(state_yaml(state, shared.path / "b.jsonl", 1), "revived");
  CHECK(status_of(http_response(revived.metrics_port(), "/readyz")) == 200);
  send(revived, traffic(), 1200, 1300);
  CHECK(revived.metric("anomstream_state_restored_total") == 2);
  CHECK(revived.metric("anomstream_state_quarantined_total") == 0);
  CHECK(revived.stop().exit_code == 0);
}

TEST_CASE("SIGHUP applies live keys, names restart-only ones, and keeps running on an invalid file" * doctest::test_suite("concurrency")) {
  DaemonUnderTest daemon("workers:\n  count: 1\n", "reload");
  std::ofstream(daemon.config_path(), std::ios::app)
      << "pipeline:\n  threshold:\n    z_factor: 4.5\nlogging:\n  level: debug\nqueue: {}\n";
  // The appended "queue" key is unknown: the whole file is refused.
  daemon.send_signal(SIGHUP);
  REQUIRE(anomstream::test::poll_until(
      [&] { return daemon.metric("anomstream_config_reloads_total", {{"result", "error"}}) == 1; }));
  CHECK(daemon.wait_for_output("unknown key \"queue\""));
  CHECK(status_of(http_response(daemon.metrics_port(), "/healthz")) == 200);
  // Fixed: the live keys apply, the worker count would need a restart.
  std::string text;
  {
    std::ifstream in(daemon.config_path());
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("queue: {}\n"), 10, "");
  text.replace(text.find("count: 1"), 8, "count: 3");
  std::ofstream(daemon.config_path(), std::ios::trunc) << text;
  daemon.send_signal(SIGHUP);
  REQUIRE(anomstream::test::poll_until(
      [&] { return daemon.metric("anomstream_config_reloads_total", {{"result", "ok"}}) == 1; }));
  CHECK(daemon.wait_for_output("restart_required=\"workers.count\""));
  CHECK(daemon.wait_for_output("event=worker_retuned"));
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("health: /healthz and /readyz over HTTP, and the gRPC health service says SERVING") {
  DaemonUnderTest daemon("", "health");
  CHECK(status_of(http_response(daemon.metrics_port(), "/healthz")) == 200);
  CHECK(status_of(http_response(daemon.metrics_port(), "/readyz")) == 200);
  CHECK(status_of(http_response(daemon.metrics_port(), "/nothing")) == 404);
  // grpc.health.v1.Health/Check with an empty request; SERVING is field 1 = 1.
  auto channel = grpc::CreateChannel(daemon.grpc_target(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1);  // HealthCheckRequest{service: ""} encodes to no bytes
  grpc::ByteBuffer response;
  grpc::Status status;
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mutex);
                   status = s;
                   done = true;
                   done_cv.notify_all();
                 });
  std::unique_lock lock(mutex);
  REQUIRE(done_cv.wait_for(lock, 10s, [&] { return done; }));
  REQUIRE(status.ok());
  std::vector<grpc::Slice> slices;
  REQUIRE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  CHECK(bytes == std::string("\x08\x01", 2));
  lock.unlock();
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a stop with a deep queue ends at its deadline, counts the rest as dropped, and still snapshots") {
  SharedDir shared("bounded");
  // Slow scoring (1000 trees of 2048) and a long queue, so the queue cannot drain in 300 ms;
  // room for each tenant's two large streams, so none is evicted to its own file.
  DaemonUnderTest daemon(state_yaml(shared.path / "state", shared.path / "a.jsonl") +
                             "workers:\n  count: 1\n  queue_capacity: 100000\nshutdown:\n  deadline_ms: 300\n"
                             "pipeline:\n  forest:\n    num_trees: 1000\n    sample_size: 2048\n"
                             "tenants:\n  max_bytes_per_tenant: 4294967296\n",
                         "bounded");
  // Every tenant's streams exist before the queue is filled: how many of the deep queue's
  // observations get scored depends on the machine, what the snapshot must hold does not.
  constexpr std::size_t first = 100;
  send(daemon, traffic(), 0, first);
  anomstream::tools::TrafficGenerator generator(traffic());
  for (std::size_t i = 0; i < first; ++i) (void)generator.next();
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  for (int b = 0; b < 40; ++b) {
    anomstream::v1::ObservationBatch batch;
    for (int i = 0; i < 500; ++i) anomstream::tools::to_wire(generator.next(), *batch.add_observations());
    grpc::ClientContext context;
    anomstream::v1::IngestSummary summary;
    REQUIRE(stub->ObserveBatch(&context, batch, &summary).ok());
  }
  const auto started = std::chrono::steady_clock::now();
  daemon.send_signal(SIGTERM);
  // While it drains it is alive but not ready.
  CHECK(anomstream::test::poll_until([&] {
    const auto response = http_response(daemon.metrics_port(), "/readyz");
    return status_of(response) == 503 && response.find("draining") != std::string::npos;
  }, 5s));
  const auto result = daemon.stop(30s);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(result.exit_code == 0);
  const std::string& log = result.err + result.out;
  const auto received = stop_field(log, "received");
  const auto scored = stop_field(log, "scored");
  const auto dropped = stop_field(log, "dropped_shutdown");
  CHECK(received == first + 20000);
  CHECK(dropped > 0);
  CHECK(received == scored + dropped + stop_field(log, "rejected") + stop_field(log, "rate_capped") +
                        stop_field(log, "dropped_queue_full"));
  CHECK(log.find("event=stop_late") != std::string::npos);
  // The deadline bounds the drain; the rest is the final snapshot of 4 large forests.
  CHECK(took < 15s);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(shared.path / "state" / "tenants")) ++files;
  CHECK(files == 2);
}

TEST_CASE("at stop, WatchAlerts subscribers receive every drained alert before their stream ends" * doctest::test_suite("concurrency")) {
  DaemonUnderTest daemon("workers:\n  count: 1\nsinks:\n  json_lines: \"{dir}/alerts.jsonl\"\n", "drain");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  grpc::ClientContext watch_context;
  auto reader = stub->WatchAlerts(&watch_context, anomstream::v1::WatchAlertsRequest());
  reader->WaitForInitialMetadata();
  std::size_t watched = 0;
  std::thread watcher([&] {
    anomstream::v1::Alert alert;
    while (reader->Read(&alert)) ++watched;
  });
  anomstream::tools::TrafficGenerator generator(
      {.seed = 5, .tenants = 2, .streams_per_tenant = 2, .anomaly_rate = 0.02, .warmup_steps = 300});
  for (int b = 0; b < 40; ++b) {
    anomstream::v1::ObservationBatch batch;
    for (int i = 0; i < 100; ++i) anomstream::tools::to_wire(generator.next(), *batch.add_observations());
    grpc::ClientContext context;
    anomstream::v1::IngestSummary summary;
    REQUIRE(stub->ObserveBatch(&context, batch, &summary).ok());
  }
  // The JSON-lines file keeps up while the daemon runs (flushed after each burst).
  REQUIRE(anomstream::test::poll_until([&] {
    return daemon.metric("anomstream_worker_observations_scored_total") == 4000;
  }));
  const double alerts = daemon.metric("anomstream_alerts_total");
  CHECK(alerts >= 10);
  CHECK(anomstream::test::poll_until([&] {
    std::ifstream in(daemon.dir() + "/alerts.jsonl");
    return static_cast<double>(std::count(std::istreambuf_iterator<char>(in), {}, '\n')) == alerts;
  }, 5s));
  const auto result = daemon.stop();
  watcher.join();
  CHECK(reader->Finish().ok());
  CHECK(result.exit_code == 0);
  CHECK(watched == stop_field(result.err + result.out, "alerts"));
}

TEST_CASE("systemd notifications: READY, WATCHDOG while the workers turn, RELOADING around a reload, STOPPING") {
  SharedDir shared("notify");
  const std::string socket_path = (shared.path / "notify.sock").string();
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  timeval tv{0, 100'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "200000", 1);
  std::vector<std::string> messages;
  const auto receive_until = [&](const std::string& wanted) {
    return anomstream::test::poll_until([&] {
      char buffer[256];
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) messages.emplace_back(buffer, static_cast<std::size_t>(n));
      return std::find(messages.begin(), messages.end(), wanted) != messages.end();
    }, 10s);
  };
  {
    DaemonUnderTest daemon("", "notify");
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    CHECK(receive_until("READY=1"));
    CHECK(receive_until("WATCHDOG=1"));
    messages.clear();
    daemon.send_signal(SIGHUP);
    CHECK(receive_until("READY=1"));
    CHECK(std::find(messages.begin(), messages.end(), "RELOADING=1") < std::find(messages.begin(), messages.end(), "READY=1"));
    daemon.send_signal(SIGTERM);
    CHECK(receive_until("STOPPING=1"));
  }
  ::close(fd);
}
