#pragma once
// UDP ingest: one anomstream.v1.ObservationBatch per datagram, read by a Boost.Asio
// socket on its own thread and handed to admit_datagram (udp_datagram.hpp), which
// decodes and admits it. Undecodable or truncated datagrams count as one observation
// rejected `malformed`; datagrams larger than server.udp.max_datagram_bytes (detected
// with MSG_TRUNC) count as one rejected `oversized`; batches beyond ingest.max_batch are
// rejected observation by observation. Counts are flushed to the metrics whenever the
// socket has nothing more to read, so they are exact at quiescent points.

#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange unincluded
#include <boost/asio.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "ingest/admission.hpp"
#include "ingest/udp_datagram.hpp"

namespace anomstream::daemon {

class UdpListener {
 public:
  UdpListener(Admission& admission, std::size_t max_datagram_bytes, std::size_t max_batch);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds and starts the receive thread; returns the bound port, or an error message.
  std::expected<std::uint16_t, std::string> start(const std::string& host, std::uint16_t port);
  // Stops receiving and joins the thread; counts are flushed.
  void stop();

 private:
  void run();

  Admission& admission_;
  DatagramLimits limits_;
  boost::asio::io_context io_;
  boost::asio::ip::udp::socket socket_;
  std::vector<char> buffer_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace anomstream::daemon
