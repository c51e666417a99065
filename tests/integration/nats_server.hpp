#pragma once
// A JetStream server for the scale-out tests: `nats-server -js` on a free loopback port
// with its store in a temporary directory. It can be killed and started again on the
// same port and store (an outage the daemons must ride out), and is killed on
// destruction.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "process.hpp"

namespace anomstream::test {

class NatsServer {
 public:
  // Starts `binary` and waits until it accepts connections; throws when it does not.
  explicit NatsServer(std::string binary);
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  [[nodiscard]] std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  // SIGKILL, and waits for the process to go.
  void kill();
  // Starts again on the same port and store.
  void start();

 private:
  std::string binary_;
  std::string store_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

// nats-server on PATH, or in /usr/sbin where Debian puts it. When it is absent: nullopt
// after a MESSAGE that the test is skipped, or a failed check as well when
// ANOMSTREAM_REQUIRE_NATS=1 (scripts/test.sh installs it, so the full test run never skips).
std::optional<std::string> nats_server_or_skip();

// A loopback TCP port nothing listens on right now.
std::uint16_t free_port();

}  // namespace anomstream::test
