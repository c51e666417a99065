#pragma once
// The daemon's HTTP listener (server.metrics.listen): GET /metrics (the Prometheus text
// format of the registry), GET /healthz (200 while the process serves requests) and
// GET /readyz (200 when ready, 503 with the reason otherwise: starting, draining, a
// store that cannot write). HTTP/1.1 on one thread (Boost.Beast), keep-alive. With basic
// credentials, /metrics answers 401 to a request without valid ones.
// Memory: at most MAX_CONNECTIONS connections of at most 16 KiB of request each, plus
// one serialised metrics page per connection while it is sent.
// Limits: requests larger than 16 KiB, and connections idle for 10 s, are closed;
// connections beyond MAX_HTTP_CONNECTIONS are closed as soon as they are accepted.
// Errors: start() fails when the address cannot be bound.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <atomic>
#include <vector>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace anomstream::daemon {

inline constexpr std::size_t MAX_HTTP_CONNECTIONS = 64;

struct HttpHandlers {
  std::function<std::string()> metrics;    // the /metrics page
  std::function<std::string()> not_ready;  // empty when ready
  // Whether a request for /metrics with this Authorization header value (empty when
  // absent) may read it; unset: everyone may. /healthz and /readyz need no credentials.
  std::function<bool(std::string_view)> authorized;
};

// Basic-auth credentials for /metrics (server.metrics.auth.basic_file, mode 0600): one
// `user:<64 hex digits: SHA-256 of the password>` per line; '#' starts a comment.
class BasicCredentials {
 public:
  static std::expected<BasicCredentials, std::string> parse(std::string_view text, std::string_view source);
  static std::expected<BasicCredentials, std::string> load(const std::string& path);
  // Whether an Authorization header value ("Basic base64(user:password)") is valid;
  // every entry is compared in constant time.
  [[nodiscard]] bool accepts(std::string_view authorization) const;

 private:
  struct Entry {
    std::string user;
    std::array<std::uint8_t, 32> digest{};
  };
  std::vector<Entry> entries_;
};

class HttpEndpoint {
  struct Token {
    explicit Token() = default;
  };

 public:
  static std::expected<std::unique_ptr<HttpEndpoint>, std::string> start(const std::string& host,
                                                                         std::uint16_t port, HttpHandlers handlers);
  HttpEndpoint(Token, HttpHandlers handlers);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

 private:
  class Connection;
  void accept();

  HttpHandlers handlers_;
  std::atomic<std::size_t> connections_{0};  // outlives io_: connections count down as it frees them
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace anomstream::daemon
