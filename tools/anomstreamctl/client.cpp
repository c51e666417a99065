#include "client.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace anomstream::tools {

namespace {

std::expected<std::string, std::string> read_text(const std::string& path, const char* option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::string(option) + ": cannot read \"" + path + "\"");
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

std::shared_ptr<grpc::ChannelCredentials> credentials(const Connection& c) {
  if (c.ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = c.ca;
  options.pem_cert_chain = c.cert;
  options.pem_private_key = c.key;
  return grpc::SslCredentials(options);
}

}  // namespace

void add_connection_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()
      ("target", po::value<std::string>()->default_value("127.0.0.1:50051"), "daemon gRPC address host:port")
      ("token-file", po::value<std::string>(), "file holding the bearer token (or set ANOMSTREAM_TOKEN)")
      ("tls-ca", po::value<std::string>(), "CA certificate (PEM) to verify the daemon with; enables TLS")
      ("tls-cert", po::value<std::string>(), "client certificate (PEM), for mutual TLS")
      ("tls-key", po::value<std::string>(), "client private key (PEM), for mutual TLS");
}

std::expected<Connection, std::string> connection_from(const boost::program_options::variables_map& vm) {
  Connection c;
  c.target = vm["target"].as<std::string>();
  if (vm.count("token-file")) {
    auto token = read_text(vm["token-file"].as<std::string>(), "--token-file");
    if (!token) return std::unexpected(token.error());
    c.token = std::move(*token);
    while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
  } else if (const char* env = std::getenv("ANOMSTREAM_TOKEN"); env != nullptr) {
    c.token = env;
  }
  for (auto [option, field] : {std::pair{"tls-ca", &c.ca}, std::pair{"tls-cert", &c.cert}, std::pair{"tls-key", &c.key}}) {
    if (!vm.count(option)) continue;
    auto text = read_text(vm[option].as<std::string>(), option);
    if (!text) return std::unexpected(text.error());
    *field = std::move(*text);
  }
  if ((c.cert.empty() != c.key.empty()) || (!c.cert.empty() && c.ca.empty())) {
    return std::unexpected("--tls-cert and --tls-key go together, and with --tls-ca");
  }
  return c;
}

std::unique_ptr<v1::IngestService::Stub> make_stub(const Connection& connection) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 * 1024 * 1024);
  auto channel = grpc::CreateCustomChannel(connection.target, credentials(connection), args);
  return v1::IngestService::NewStub(channel);
}

std::unique_ptr<v1::IngestService::Stub> make_stub(const std::string& target) {
  Connection connection;
  connection.target = target;
  return make_stub(connection);
}

void authorize(grpc::ClientContext& context, const Connection& connection) {
  if (!connection.token.empty()) context.AddMetadata("authorization", "Bearer " + connection.token);
}

bool wait_connected(const std::string& target, double seconds) {
  Connection connection;
  connection.target = target;
  return wait_connected(connection, seconds);
}

bool wait_connected(const Connection& connection, double seconds) {
  auto channel = grpc::CreateChannel(connection.target, credentials(connection));
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            std::chrono::duration<double>(seconds));
  return channel->WaitForConnected(deadline);
}

void to_wire(const TrafficObservation& in, v1::Observation& out) {
  out.set_tenant(in.tenant);
  out.set_stream(in.stream);
  out.set_timestamp_ns(in.timestamp_ns);
  out.clear_values();
  for (const double v : in.values) out.add_values(v);
  std::string key(8, '\0');
  for (int b = 0; b < 8; ++b) key[static_cast<std::size_t>(b)] = static_cast<char>(in.flow_key >> (8 * b));
  out.set_flow_key(key);
}

}  // namespace anomstream::tools
