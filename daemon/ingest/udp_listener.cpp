#include "ingest/udp_listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "anomstream/v1/observation.pb.h"
#include "worker/log_text.hpp"

namespace anomstream::daemon {

namespace asio = boost::asio;
using asio::ip::udp;

UdpListener::UdpListener(Admission& admission, std::size_t max_datagram_bytes, std::size_t max_batch,
                         std::unique_ptr<UdpAuthenticator> authenticator)
    : admission_(admission),
      max_datagram_bytes_(max_datagram_bytes),
      max_batch_(max_batch),
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
    handle(std::min(size, buffer_.size()), size > max_datagram_bytes_, batcher);
    if (socket_.available() == 0) batcher.flush_metrics();
  }
  batcher.flush_metrics();
}

void UdpListener::replace_authenticator(std::unique_ptr<UdpAuthenticator> authenticator) {
  std::lock_guard lock(pending_mutex_);
  pending_ = std::move(authenticator);
  has_pending_.store(true, std::memory_order_release);
}

void UdpListener::reject(RejectReason reason, std::string detail, std::size_t count, IngestTally& tally,
                         hotpath::MetricsBatcher& batcher) {
  if (std::uint64_t suppressed = 0; refused_log_.allow(LogLimiter::Clock::now(), suppressed)) {
    spdlog::warn("event=udp_refused reason={} detail=\"{}\" suppressed={}", to_string(reason), escape_for_log(detail),
                 suppressed);
  }
  for (std::size_t i = 0; i < count; ++i) {
    admission_.reject_undecoded(Transport::udp, reason, detail, i, tally, batcher);
  }
}

void UdpListener::handle(std::size_t bytes, bool truncated, hotpath::MetricsBatcher& batcher) {
  IngestTally tally;  // UDP has no reply; the tally only feeds the counters
  if (has_pending_.load(std::memory_order_acquire)) {
    std::lock_guard lock(pending_mutex_);
    authenticator_ = std::move(pending_);
    has_pending_.store(false, std::memory_order_relaxed);
  }
  if (truncated) {
    return reject(RejectReason::oversized, "datagram: larger than " + std::to_string(max_datagram_bytes_) + " bytes",
                  1, tally, batcher);
  }
  std::string_view payload(buffer_.data(), bytes);
  const UdpKey* key = nullptr;
  if (authenticator_) {
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    auto opened = authenticator_->open(payload, now);
    if (!opened) return reject(RejectReason::unauthenticated, opened.error(), 1, tally, batcher);
    payload = opened->payload;
    key = opened->key;
  }
  v1::ObservationBatch batch;
  if (!batch.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return reject(RejectReason::malformed, "datagram: not an ObservationBatch", 1, tally, batcher);
  }
  const auto count = static_cast<std::size_t>(batch.observations_size());
  if (count == 0) return reject(RejectReason::empty_batch, "datagram: batch is empty", 1, tally, batcher);
  if (count > max_batch_) return reject(RejectReason::oversized, "datagram: batch too long", count, tally, batcher);
  if (key != nullptr) {
    for (const auto& o : batch.observations()) {
      if (!key->covers(o.tenant())) {
        return reject(RejectReason::unauthorized,
                      "datagram: key \"" + key->id + "\" does not cover tenant \"" + o.tenant() + "\"", count, tally,
                      batcher);
      }
    }
  }
  for (int i = 0; i < batch.observations_size(); ++i) {
    admission_.admit(batch.observations(i), Transport::udp, static_cast<std::uint64_t>(i), tally, batcher);
  }
}

}  // namespace anomstream::daemon
