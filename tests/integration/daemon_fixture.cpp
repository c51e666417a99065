#include "daemon_fixture.hpp"

#include "prometheus_scrape.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace anomstream::test {
namespace {

std::string make_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("anomstream-it-" + std::to_string(::getpid()) + "-" + name + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// The port of "key=host:port" in the ready line.
std::uint16_t port_of(const std::string& line, const std::string& key) {
  const auto at = line.find(" " + key);
  if (at == std::string::npos) throw std::runtime_error("no " + key + " in: " + line);
  const auto end = line.find(' ', at + 1);
  const std::string address = line.substr(at + 1 + key.size(), end == std::string::npos ? end : end - at - 1 - key.size());
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("no port in " + key + address);
  const int port = std::stoi(address.substr(colon + 1));
  if (port <= 0 || port > 65535) throw std::runtime_error("bad port in " + key + address);
  return static_cast<std::uint16_t>(port);
}

void overlay(YAML::Node base, const YAML::Node& extra) {
  if (!extra.IsMap()) return;
  for (const auto& entry : extra) {
    const std::string key = entry.first.Scalar();
    if (base[key].IsMap() && entry.second.IsMap()) {
      overlay(base[key], entry.second);
    } else {
      base[key] = entry.second;
    }
  }
}

}  // namespace

DaemonUnderTest::DaemonUnderTest(const std::string& extra_yaml, const std::string& name)
    : DaemonUnderTest(extra_yaml, name, true) {}

DaemonUnderTest::DaemonUnderTest(const std::string& extra_yaml, const std::string& name, bool start_now)
    : dir_(make_dir(name)) {
  const std::string config_path = dir_ + "/anomstreamd.yaml";
  std::string extra = extra_yaml;
  for (auto at = extra.find("{dir}"); at != std::string::npos; at = extra.find("{dir}")) {
    extra.replace(at, 5, dir_);
  }
  // The test's keys are laid over the loopback listeners, map by map, so a test may set
  // server.* keys too (a YAML file may not repeat a key).
  YAML::Node config = YAML::Load("server:\n  grpc:\n    listen: 127.0.0.1:0\n  udp:\n    listen: 127.0.0.1:0\n"
                                 "  metrics:\n    listen: 127.0.0.1:0\n");
  overlay(config, YAML::Load(extra));
  std::ofstream(config_path) << YAML::Dump(config) << "\n";
  if (start_now) start();
}

void DaemonUnderTest::start() {
  const std::string config_path = dir_ + "/anomstreamd.yaml";
  process_ = std::make_unique<Process>(std::vector<std::string>{daemon_path(), "--config", config_path});
  if (!process_->wait_for_output("event=ready", std::chrono::seconds(30))) {
    auto result = process_->wait(std::chrono::seconds(1));
    throw std::runtime_error("anomstreamd did not become ready:\n" + result.err + result.out);
  }
  // The ready line: "event=ready grpc=127.0.0.1:P udp=127.0.0.1:P metrics=127.0.0.1:P"
  const std::string& err = process_->output_so_far();
  const auto ready = err.find("event=ready");
  if (ready == std::string::npos) throw std::runtime_error("no ready line in: " + err);
  const std::string line = err.substr(ready, err.find('\n', ready) - ready);
  grpc_port_ = port_of(line, "grpc=");
  udp_port_ = port_of(line, "udp=");
  metrics_port_ = port_of(line, "metrics=");
}

DaemonUnderTest::~DaemonUnderTest() {
  if (process_) process_->send_signal(SIGKILL);
}

ProcessResult DaemonUnderTest::stop(std::chrono::milliseconds deadline) {
  process_->send_signal(SIGTERM);
  return process_->wait(deadline);
}

ProcessResult DaemonUnderTest::kill(std::chrono::milliseconds deadline) {
  process_->send_signal(SIGKILL);
  return process_->wait(deadline);
}

double DaemonUnderTest::metric(const std::string& name, const std::map<std::string, std::string>& labels) const {
  return metric_sum(parse_metrics(http_get(metrics_port_, "/metrics")), name, labels);
}

std::map<std::string, double> DaemonUnderTest::metrics() const {
  return parse_metrics(http_get(metrics_port_, "/metrics"));
}

bool accounting_holds(const std::map<std::string, double>& m, double expected_received) {
  const double received = metric_sum(m, "anomstream_ingest_observations_received_total");
  const double scored = metric_sum(m, "anomstream_worker_observations_scored_total");
  const double capped = metric_sum(m, "anomstream_ingest_observations_rate_capped_total");
  const double rejected = metric_sum(m, "anomstream_ingest_observations_rejected_total");
  const double dropped = metric_sum(m, "anomstream_ingest_observations_dropped_total");
  return received == expected_received && received == scored + capped + rejected + dropped;
}

int http_status(std::uint16_t port, const std::string& path, const std::string& user_password) {
  std::string headers;
  if (!user_password.empty()) {
    std::string encoded(4 * ((user_password.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                  reinterpret_cast<const unsigned char*>(user_password.data()),
                                  static_cast<int>(user_password.size()));
    encoded.resize(static_cast<std::size_t>(n));
    headers = "Authorization: Basic " + encoded + "\r\n";
  }
  return status_of(tools::http_response(port, path, headers));
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t resident_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:  1234 kB"
  }
  return 0;
}

std::string http_get(std::uint16_t port, const std::string& path) {
  std::string body = tools::http_get(port, path);
  if (body.empty()) throw std::runtime_error("http_get: nothing from port " + std::to_string(port) + path);
  return body;
}

int status_of(const std::string& response) {
  const auto space = response.find(' ');
  return space == std::string::npos ? 0 : std::atoi(response.c_str() + space + 1);
}

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
                std::chrono::milliseconds interval) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

void send_udp(std::uint16_t port, const std::string& datagram) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::close(fd);
}

}  // namespace anomstream::test
