#include "ingest/udp_listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace anomstream::daemon {

namespace asio = boost::asio;
using asio::ip::udp;

UdpListener::UdpListener(Admission& admission, std::size_t max_datagram_bytes, std::size_t max_batch,
                         std::unique_ptr<UdpAuthenticator> authenticator)
    : admission_(admission),
      limits_{.max_datagram_bytes = max_datagram_bytes, .max_batch = max_batch},
      socket_(io_),
      buffer_(max_datagram_bytes + 1),
      authenticator_(std::move(authenticator)) {}

UdpListener::~UdpListener() { stop(); }

std::expected<std::uint16_t, std::string> UdpListener::start(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected("server.udp.listen: bad address \"" + host + "\": " + ec.message());
  const udp::endpoint endpoint(address, port);
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) return std::unexpected("server.udp.listen: cannot bind " + host + ":" + std::to_string(port) + ": " + ec.message());
  // A larger receive buffer rides out bursts while a worker queue is busy.
  socket_.set_option(asio::socket_base::receive_buffer_size(8 * 1024 * 1024), ec);
  // A timeout lets the loop notice stop() without closing the socket under it.
  timeval tv{0, 100'000};
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  running_ = true;
  const auto bound = socket_.local_endpoint().port();
  thread_ = std::thread([this] { run(); });
  return bound;
}

void UdpListener::stop() {
  if (running_.exchange(false) && thread_.joinable()) thread_.join();
  boost::system::error_code ec;
  socket_.close(ec);
}

void UdpListener::run() {
  auto batcher = admission_.batcher();
  const int fd = socket_.native_handle();
  while (running_.load(std::memory_order_relaxed)) {
    // recv with MSG_TRUNC returns the datagram's real length even when it exceeds the buffer.
    const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), MSG_TRUNC);
    if (n < 0) {
      batcher.flush_metrics();  // idle (timeout) or interrupted: make counts exact
      continue;
    }
    const auto size = static_cast<std::size_t>(n);
    if (has_pending_.load(std::memory_order_acquire)) {
      std::lock_guard lock(pending_mutex_);
      authenticator_ = std::move(pending_);
      has_pending_.store(false, std::memory_order_relaxed);
    }
    const DatagramContext context{
        .limits = limits_,
        .authenticator = authenticator_.get(),
        .refused_log = &refused_log_,
        .now_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count()};
    admit_datagram(std::span<const char>(buffer_.data(), std::min(size, buffer_.size())),
                   size > limits_.max_datagram_bytes, context, admission_, batcher);
    if (socket_.available() == 0) batcher.flush_metrics();
  }
  batcher.flush_metrics();
}

void UdpListener::replace_authenticator(std::unique_ptr<UdpAuthenticator> authenticator) {
  std::lock_guard lock(pending_mutex_);
  pending_ = std::move(authenticator);
  has_pending_.store(true, std::memory_order_release);
}

}  // namespace anomstream::daemon
