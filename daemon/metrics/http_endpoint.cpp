#include "metrics/http_endpoint.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>

namespace anomstream::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t MAX_REQUEST_BYTES = 16 * 1024;
constexpr std::chrono::seconds IDLE_TIMEOUT{10};
}  // namespace

class HttpEndpoint::Connection : public std::enable_shared_from_this<HttpEndpoint::Connection> {
 public:
  Connection(tcp::socket socket, HttpEndpoint& owner) : stream_(std::move(socket)), owner_(owner) {}
  ~Connection() { owner_.connections_.fetch_sub(1, std::memory_order_relaxed); }

  void read() {
    parser_.emplace();
    parser_->header_limit(MAX_REQUEST_BYTES);
    parser_->body_limit(MAX_REQUEST_BYTES);
    stream_.expires_after(IDLE_TIMEOUT);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) {
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    const auto& request = parser_->get();
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    response_.set(http::field::server, "anomstreamd");
    respond(request);
    response_.prepare_payload();
    stream_.expires_after(IDLE_TIMEOUT);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
      if (write_ec || !self->response_.keep_alive()) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        return;
      }
      self->read();
    });
  }

  void respond(const http::request<http::string_body>& request) {
    const auto reply = [&](http::status status, std::string body, const char* type = "text/plain; charset=utf-8") {
      response_.result(status);
      response_.set(http::field::content_type, type);
      response_.body() = request.method() == http::verb::head ? std::string() : std::move(body);
    };
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response_.set(http::field::allow, "GET, HEAD");
      return reply(http::status::method_not_allowed, "only GET and HEAD\n");
    }
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/metrics") {
      return reply(http::status::ok, owner_.handlers_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
    }
    if (path == "/healthz") return reply(http::status::ok, "ok\n");
    if (path == "/readyz") {
      const std::string reason = owner_.handlers_.not_ready();
      return reason.empty() ? reply(http::status::ok, "ready\n")
                            : reply(http::status::service_unavailable, "not ready: " + reason + "\n");
    }
    reply(http::status::not_found, "not found: /metrics, /healthz, /readyz\n");
  }

  beast::tcp_stream stream_;
  HttpEndpoint& owner_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

std::expected<std::unique_ptr<HttpEndpoint>, std::string> HttpEndpoint::start(const std::string& host,
                                                                               std::uint16_t port,
                                                                               HttpHandlers handlers) {
  auto endpoint = std::make_unique<HttpEndpoint>(Token{}, std::move(handlers));
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected("bad address \"" + host + "\": " + ec.message());
  const tcp::endpoint where(address, port);
  auto& acceptor = endpoint->acceptor_;
  acceptor.open(where.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(where, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  endpoint->port_ = acceptor.local_endpoint().port();
  endpoint->accept();
  endpoint->thread_ = std::thread([e = endpoint.get()] { e->io_.run(); });
  return endpoint;
}

HttpEndpoint::HttpEndpoint(Token, HttpHandlers handlers) : handlers_(std::move(handlers)), acceptor_(io_) {}

HttpEndpoint::~HttpEndpoint() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void HttpEndpoint::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (connections_.fetch_add(1, std::memory_order_relaxed) >= MAX_HTTP_CONNECTIONS) {
        connections_.fetch_sub(1, std::memory_order_relaxed);
        socket.close(ec);
      } else {
        std::make_shared<Connection>(std::move(socket), *this)->read();
      }
    }
    accept();
  });
}

}  // namespace anomstream::daemon
