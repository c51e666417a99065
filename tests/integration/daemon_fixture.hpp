#pragma once
// Starts the real anomstreamd on loopback with ephemeral ports (port 0 everywhere),
// waits for its `event=ready` line and parses the bound ports from it. Also: an HTTP GET
// for /metrics, a Prometheus text parser, and a poll-with-deadline helper.

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"
#include "prometheus_scrape.hpp"

namespace anomstream::test {

class DaemonUnderTest {
 public:
  // `extra_yaml` is appended to a config that binds every listener to 127.0.0.1:0;
  // "{dir}" in it stands for the daemon's own temporary directory.
  explicit DaemonUnderTest(const std::string& extra_yaml = "", const std::string& name = "daemon");
  // Writes the configuration but does not start the daemon when `start` is false; the
  // daemon then fails to start when `start()` is called if it cannot.
  DaemonUnderTest(const std::string& extra_yaml, const std::string& name, bool start);
  void start();
  ~DaemonUnderTest();

  [[nodiscard]] std::string grpc_target() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  [[nodiscard]] std::uint16_t udp_port() const { return udp_port_; }
  [[nodiscard]] std::uint16_t metrics_port() const { return metrics_port_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] std::string config_path() const { return dir_ + "/anomstreamd.yaml"; }
  [[nodiscard]] pid_t pid() const { return process_->pid(); }

  // Sends SIGTERM and waits for exit.
  ProcessResult stop(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // SIGKILL, as a crash or systemd's last resort would, and waits for the process to go.
  ProcessResult kill(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  void send_signal(int signal) const { process_->send_signal(signal); }
  // Polls the daemon's output until `needle` appears.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    return process_->wait_for_output(needle, deadline);
  }
  [[nodiscard]] std::string output() const { return process_->output_so_far(); }
  // One metric's value (summed over label sets matching `labels`) from /metrics.
  [[nodiscard]] double metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
  // Every metric of one /metrics scrape, by name with labels.
  [[nodiscard]] std::map<std::string, double> metrics() const;

 private:
  std::string dir_;
  std::unique_ptr<Process> process_;
  std::uint16_t grpc_port_ = 0, udp_port_ = 0, metrics_port_ = 0;
};

std::string http_get(std::uint16_t port, const std::string& path);

using tools::http_response;
using tools::metric_sum;
using tools::parse_metrics;

// The daemon's accounting in one scrape: received = scored + rate_capped + rejected +
// dropped, and received == expected_received.
bool accounting_holds(const std::map<std::string, double>& metrics, double expected_received);

// A text file's lines (none when it does not exist).
std::vector<std::string> read_lines(const std::string& path);

// The daemon process's resident set size in bytes (VmRSS), 0 when it cannot be read.
std::size_t resident_bytes(pid_t pid);

// GET `path` from 127.0.0.1:`port` over HTTP/1.0, with basic credentials ("user:password",
// sent base64-encoded) when given; the response's status code (0 when there is none).
int http_status(std::uint16_t port, const std::string& path, const std::string& user_password = "");

// The status code of an HTTP response ("HTTP/1.x 200 OK" -> 200), 0 when there is none.
int status_of(const std::string& response);

// Calls `condition` every `interval` until it returns true or `deadline` passes.
bool poll_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(30),
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));

void send_udp(std::uint16_t port, const std::string& datagram);

}  // namespace anomstream::test
