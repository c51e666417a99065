#pragma once
// UDP ingest: one anomstream.v1.ObservationBatch per datagram (signed, when keys are
// configured: udp_auth.hpp), read by a Boost.Asio socket on its own thread and handed to
// admit_datagram (udp_datagram.hpp), which authenticates, decodes and admits it and says
// how each refusal is counted. Refusals are logged at most 10 lines per 10 s. Counts are
// flushed to the metrics whenever the socket has nothing more to read, so they are exact
// at quiescent points.

#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange unincluded
#include <boost/asio.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest/admission.hpp"
#include "ingest/udp_auth.hpp"
#include "ingest/udp_datagram.hpp"
#include "worker/log_limiter.hpp"

namespace anomstream::daemon {

class UdpListener {
 public:
  // With an authenticator, only signed datagrams whose key covers their tenants are
  // admitted (udp_auth.hpp); without one, any datagram is.
  UdpListener(Admission& admission, std::size_t max_datagram_bytes, std::size_t max_batch,
              std::unique_ptr<UdpAuthenticator> authenticator = nullptr);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds and starts the receive thread; returns the bound port, or an error message.
  std::expected<std::uint16_t, std::string> start(const std::string& host, std::uint16_t port);
  // Stops receiving and joins the thread; counts are flushed.
  void stop();
  // Installs new keys (reload); the UDP thread takes them before its next datagram, with
  // a fresh replay memory that refuses datagrams stamped before now.
  void replace_authenticator(std::unique_ptr<UdpAuthenticator> authenticator);

 private:
  void run();

  Admission& admission_;
  DatagramLimits limits_;
  boost::asio::io_context io_;
  boost::asio::ip::udp::socket socket_;
  std::vector<char> buffer_;
  std::unique_ptr<UdpAuthenticator> authenticator_;  // owned by the UDP thread
  std::mutex pending_mutex_;
  std::unique_ptr<UdpAuthenticator> pending_;
  std::atomic<bool> has_pending_{false};
  LogLimiter refused_log_{10, std::chrono::seconds(10)};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace anomstream::daemon
