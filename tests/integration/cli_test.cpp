// anomstreamd's command line, run as a real process.

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "process.hpp"
#include "test_paths.hpp"

using namespace std::chrono_literals;
using anomstream::test::daemon_path;
using anomstream::test::run_process;

namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("anomstream-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("--version and --help answer and exit 0") {
  auto version = run_process({daemon_path(), "--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.starts_with("anomstreamd "));

  auto help = run_process({daemon_path(), "--help"});
  CHECK(help.exit_code == 0);
  for (const char* flag : {"--config", "--check-config", "--print-default-config", "--log-level"}) {
    CHECK_MESSAGE(help.out.find(flag) != std::string::npos, flag);
  }
}

TEST_CASE("--print-default-config prints config/default.yaml byte for byte") {
  auto printed = run_process({daemon_path(), "--print-default-config"});
  REQUIRE(printed.exit_code == 0);
  std::ifstream in(anomstream::test::source_dir() / "config" / "default.yaml", std::ios::binary);
  const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(expected.empty());
  CHECK(printed.out == expected);
}

TEST_CASE("the printed default config passes --check-config") {
  auto printed = run_process({daemon_path(), "--print-default-config"});
  auto path = write_temp("default.yaml", printed.out);
  auto checked = run_process({daemon_path(), "--check-config", path.string()});
  CHECK(checked.exit_code == 0);
  CHECK(checked.out.find(": ok") != std::string::npos);
}

TEST_CASE("--check-config names the key path, the line and what was expected") {
  SUBCASE("an unknown key") {
    auto path = write_temp("unknown.yaml", "workers:\n  count: 2\n  cuont: 3\n");
    auto r = run_process({daemon_path(), "--check-config", path.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("unknown.yaml:3:3: workers.cuont") != std::string::npos);
    CHECK(r.err.find("unknown key \"cuont\"") != std::string::npos);
  }
  SUBCASE("an out-of-range integer") {
    auto path = write_temp("range.yaml", "server:\n  udp:\n    max_datagram_bytes: 70000\n");
    auto r = run_process({daemon_path(), "--check-config", path.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(":3:25: server.udp.max_datagram_bytes: expected an integer in [64, 65507], "
                     "found \"70000\"") != std::string::npos);
  }
  SUBCASE("malformed YAML") {
    auto path = write_temp("broken.yaml", "workers: [1, 2\n");
    auto r = run_process({daemon_path(), "--check-config", path.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("expected well-formed YAML") != std::string::npos);
  }
  SUBCASE("a missing file") {
    auto r = run_process({daemon_path(), "--check-config", "/nonexistent/anomstream.yaml"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot open it") != std::string::npos);
  }
}

TEST_CASE("an unknown flag is a usage error") {
  auto r = run_process({daemon_path(), "--no-such-flag"});
  CHECK(r.exit_code == 64);
  CHECK(r.err.find("no-such-flag") != std::string::npos);
}

TEST_CASE("the daemon runs on its built-in config and exits 0 on SIGTERM") {
  anomstream::test::Process daemon({daemon_path(), "--log-level", "info"});
  REQUIRE(daemon.wait_for_output("event=start", 10s));
  daemon.send_signal(SIGTERM);
  auto r = daemon.wait(10s);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 0);
}
