#include "metrics/http_endpoint.hpp"

#include "config/secret_file.hpp"
#include "ingest/credential_text.hpp"
#include "persist/state_file.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

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
      if (owner_.handlers_.authorized) {
        const auto header = request[http::field::authorization];
        if (!owner_.handlers_.authorized(std::string_view(header.data(), header.size()))) {
          response_.set(http::field::www_authenticate, "Basic realm=\"anomstreamd\"");
          return reply(http::status::unauthorized, "credentials required\n");
        }
      }
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

std::expected<BasicCredentials, std::string> BasicCredentials::parse(std::string_view text, std::string_view source) {
  BasicCredentials out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    const auto fail = [&](const char* what) {
      return std::unexpected(std::string(source) + ":" + std::to_string(line_number) + ": " + what);
    };
    if (colon == 0 || colon == std::string_view::npos) return fail("expected user:<sha256 hex of the password>");
    const std::string_view hex = line.substr(colon + 1);
    if (hex.size() != 64) return fail("the password's SHA-256 must be 64 hex digits");
    auto digest = decode_hex(hex);
    if (!digest) return fail("the password's SHA-256 must be 64 hex digits");
    Entry entry;
    entry.user = std::string(line.substr(0, colon));
    for (std::size_t i = 0; i < 32; ++i) entry.digest[i] = static_cast<std::uint8_t>((*digest)[i]);
    out.entries_.push_back(std::move(entry));
  }
  if (out.entries_.empty()) return std::unexpected(std::string(source) + ": no credentials");
  return out;
}

std::expected<BasicCredentials, std::string> BasicCredentials::load(const std::string& path) {
  auto text = read_secret_file(path, "server.metrics.auth.basic_file");
  if (!text) return std::unexpected(text.error());
  return parse(*text, path);
}

bool BasicCredentials::accepts(std::string_view authorization) const {
  constexpr std::string_view PREFIX = "Basic ";
  if (!authorization.starts_with(PREFIX)) return false;
  const std::string_view encoded = authorization.substr(PREFIX.size());
  if (encoded.empty() || encoded.size() > 1024 || encoded.size() % 4 != 0) return false;
  std::string decoded(encoded.size() / 4 * 3 + 1, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                reinterpret_cast<const unsigned char*>(encoded.data()), static_cast<int>(encoded.size()));
  if (n < 0) return false;
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t pad = encoded.size(); pad > 0 && encoded[pad - 1] == '='; --pad) --size;  // EVP counts padding
  decoded.resize(size);
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const std::string_view user = std::string_view(decoded).substr(0, colon);
  const auto digest = sha256(std::string_view(decoded).substr(colon + 1));
  bool ok = false;
  for (const auto& entry : entries_) {
    const bool match = CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0 && entry.user == user;
    ok = ok || match;
  }
  return ok;
}

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
