// anomstreamctl replay against the real daemon.

#include <doctest/doctest.h>

#include <array>
#include <string>

#include "daemon_fixture.hpp"
#include "process.hpp"
#include "test_paths.hpp"

using anomstream::test::ctl_path;
using anomstream::test::DaemonUnderTest;
using anomstream::test::run_process;

namespace {

// Injected anomalies by kind from replay's summary line
// "injected anomalies: port_scan A, burst B, exfiltration C".
std::array<int, 3> injected(const std::string& out) {
  std::array<int, 3> counts{};
  const std::array<std::string, 3> labels{"port_scan ", "burst ", "exfiltration "};
  const auto line = out.find("injected anomalies: ");
  REQUIRE(line != std::string::npos);
  for (std::size_t kind = 0; kind < 3; ++kind) {
    const auto at = out.find(labels[kind], line);
    REQUIRE(at != std::string::npos);
    counts[kind] = std::stoi(out.substr(at + labels[kind].size()));
  }
  return counts;
}

std::array<int, 3> replay(const DaemonUnderTest& daemon, const std::string& count, const std::string& skip) {
  const auto result = run_process({ctl_path(), "replay", "--target", daemon.grpc_target(), "--count",
                                   count, "--skip", skip, "--seed", "5", "--tenants", "1", "--streams", "1",
                                   "--anomaly-rate", "0.05"});
  REQUIRE(result.exit_code == 0);
  return injected(result.out);
}

}  // namespace

TEST_CASE("replay --skip continues the synthetic stream where an earlier replay stopped") {
  DaemonUnderTest daemon("pipeline:\n  forest:\n    num_trees: 50\n    sample_size: 64\n", "replay");
  const auto whole = replay(daemon, "3000", "0");
  const auto first = replay(daemon, "1500", "0");
  const auto rest = replay(daemon, "1500", "1500");
  for (std::size_t kind = 0; kind < 3; ++kind) {
    CHECK(first[kind] + rest[kind] == whole[kind]);
  }
  // The first 600 steps carry no anomaly, so a replay that restarted instead of
  // continuing would inject fewer than the stream's second half.
  CHECK(first[0] + first[1] + first[2] < rest[0] + rest[1] + rest[2]);
  CHECK(anomstream::test::poll_until([&] {
    const auto m = anomstream::test::parse_metrics(anomstream::test::http_get(daemon.metrics_port(), "/metrics"));
    return anomstream::test::metric_sum(m, "anomstream_ingest_observations_received_total") == 6000;
  }));
}
