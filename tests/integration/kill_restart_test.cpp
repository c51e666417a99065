// kill -9 at random points under load, restart each time: the daemon starts, the audit
// log verifies (a recovered torn tail is allowed), every tenant comes back restored, and
// each run's accounting identity holds. ANOMSTREAM_KILL_ROUNDS sets the number of kills
// (3 in the test suite; bench/kill/kill_restart.sh runs 25).

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "client.hpp"
#include "daemon_fixture.hpp"
#include "traffic_generator.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t TENANTS = 4;

int rounds() {
  const char* env = std::getenv("ANOMSTREAM_KILL_ROUNDS");
  return env != nullptr ? std::max(1, std::atoi(env)) : 3;
}

// Sends the synthetic traffic in batches until stopped; errors (the daemon being killed)
// end the sending.
class Load {
 public:
  Load(const std::string& target, std::uint64_t seed) : target_(target), seed_(seed) {}
  ~Load() { stop(); }
  void start() {
    running_ = true;
    thread_ = std::thread([this] {
      anomstream::tools::TrafficGenerator generator(
          {.seed = seed_, .tenants = TENANTS, .streams_per_tenant = 2, .anomaly_rate = 0.01, .warmup_steps = 200});
      auto stub = anomstream::tools::make_stub(target_);
      while (running_) {
        anomstream::v1::ObservationBatch batch;
        for (int i = 0; i < 64; ++i) anomstream::tools::to_wire(generator.next(), *batch.add_observations());
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + 2s);
        anomstream::v1::IngestSummary summary;
        if (!stub->ObserveBatch(&context, batch, &summary).ok()) return;
        sent_ += 64;
      }
    });
  }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] std::uint64_t sent() const { return sent_; }

 private:
  std::string target_;
  std::uint64_t seed_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

bool identity_holds(const DaemonUnderTest& d) {
  const double received = d.metric("anomstream_ingest_observations_received_total");
  const double accounted = d.metric("anomstream_worker_observations_scored_total") +
                           d.metric("anomstream_ingest_observations_rate_capped_total") +
                           d.metric("anomstream_ingest_observations_rejected_total") +
                           d.metric("anomstream_ingest_observations_dropped_total");
  return received > 0 && received == accounted;
}

}  // namespace

TEST_CASE("kill -9 at random points under load: every restart starts, restores, verifies and accounts") {
  const auto dir = fs::temp_directory_path() / ("anomstream-it-" + std::to_string(::getpid()) + "-kill-loop");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto key = dir / "audit.key";
  std::ofstream(key) << "kill-loop-audit-key-0123456789abcdef\n";
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  const std::string yaml = "workers:\n  count: 2\nstate:\n  dir: \"" + (dir / "state").string() +
                           "\"\n  snapshot_interval_s: 1\naudit:\n  path: \"" + (dir / "audit.log").string() +
                           "\"\n  key_file: \"" + key.string() + "\"\nsinks:\n  json_lines: \"\"\n";
  const std::uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  MESSAGE("kill loop: " << rounds() << " rounds, seed " << seed);
  for (int round = 0; round <= rounds(); ++round) {
    CAPTURE(round);
    DaemonUnderTest daemon(yaml, "kill-" + std::to_string(round));
    CHECK(anomstream::test::status_of(anomstream::test::http_response(daemon.metrics_port(), "/readyz")) == 200);
    const auto verify = anomstream::test::run_process(
        {anomstream::test::ctl_path(), "audit", "verify", (dir / "audit.log").string(), "--key-file", key.string()});
    CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);

    Load load(daemon.grpc_target(), seed + static_cast<std::uint64_t>(round));
    load.start();
    // Every tenant has been seen (restored after the first round) and snapshotted.
    REQUIRE(anomstream::test::poll_until([&] {
      return daemon.metric("anomstream_tenants_live") == TENANTS &&
             daemon.metric("anomstream_state_snapshots_written_total") >= TENANTS;
    }));
    if (round > 0) CHECK(daemon.metric("anomstream_state_restored_total") == TENANTS);
    CHECK(daemon.metric("anomstream_state_quarantined_total") == 0);
    // This run's accounting, at a quiescent point.
    load.stop();
    const bool holds = anomstream::test::poll_until([&] { return identity_holds(daemon); }, 60s);
    CHECK_MESSAGE(holds, "received " << daemon.metric("anomstream_ingest_observations_received_total") << ", scored "
                                     << daemon.metric("anomstream_worker_observations_scored_total") << ", rejected "
                                     << daemon.metric("anomstream_ingest_observations_rejected_total") << ", dropped "
                                     << daemon.metric("anomstream_ingest_observations_dropped_total"));
    if (round == rounds()) {
      CHECK(daemon.stop().exit_code == 0);
      break;
    }
    // Then kill it while it is busy, at a random point.
    load.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 700)(rng)));
    daemon.kill();
    load.stop();
  }
  const auto verify = anomstream::test::run_process(
      {anomstream::test::ctl_path(), "audit", "verify", (dir / "audit.log").string(), "--key-file", key.string()});
  CHECK_MESSAGE(verify.exit_code == 0, verify.out << verify.err);
  fs::remove_all(dir);
}
