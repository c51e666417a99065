#include "nats_server.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace anomstream::test {

NatsServer::NatsServer(std::string binary) : binary_(std::move(binary)), port_(free_port()) {
  static int counter = 0;
  const auto store = std::filesystem::temp_directory_path() /
                     ("anomstream-it-" + std::to_string(::getpid()) + "-nats-" + std::to_string(counter++));
  std::filesystem::remove_all(store);
  std::filesystem::create_directories(store);
  store_ = store.string();
  start();
}

NatsServer::~NatsServer() {
  process_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(store_, ignored);
}

void NatsServer::start() {
  process_ = std::make_unique<Process>(std::vector<std::string>{
      binary_, "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", store_});
  if (!process_->wait_for_output("Server is ready", std::chrono::seconds(20))) {
    const auto result = process_->wait(std::chrono::seconds(1));
    throw std::runtime_error("nats-server did not become ready:\n" + result.err + result.out);
  }
}

void NatsServer::kill() {
  process_->send_signal(SIGKILL);
  process_->wait(std::chrono::seconds(10));
}

std::optional<std::string> nats_server_or_skip() {
  const char* path = std::getenv("PATH");
  // Debian installs it in /usr/sbin, which a user's PATH often lacks.
  std::istringstream dirs(std::string(path == nullptr ? "" : path) + ":/usr/sbin:/usr/local/sbin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / "nats-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  const char* required = std::getenv("ANOMSTREAM_REQUIRE_NATS");
  if (required != nullptr && std::string(required) == "1") {
    FAIL_CHECK("ANOMSTREAM_REQUIRE_NATS=1 but nats-server is neither on PATH nor in /usr/sbin");
  } else {
    MESSAGE("skipped: nats-server is neither on PATH nor in /usr/sbin (apt-get install nats-server, or "
            "scripts/install-deps.sh)");
  }
  return std::nullopt;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("free_port: no loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace anomstream::test
