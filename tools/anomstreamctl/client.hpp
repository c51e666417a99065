#pragma once
// gRPC client helpers shared by the anomstreamctl commands and the integration tests.

#include <boost/program_options.hpp>
#include <grpcpp/grpcpp.h>

#include <expected>
#include <memory>
#include <string>

#include "anomstream/v1/ingest_service.grpc.pb.h"
#include "traffic_generator.hpp"

namespace anomstream::tools {

// How a command reaches the daemon: its address, and the credentials a secured daemon
// asks for (a bearer token, TLS with its CA, a client certificate for mutual TLS). The
// token is read from a file or the ANOMSTREAM_TOKEN variable, never from the command line
// (where other users could see it).
struct Connection {
  std::string target = "127.0.0.1:50051";
  std::string token;
  std::string ca;    // PEM text; empty: plaintext
  std::string cert;  // PEM text of the client certificate and key (mutual TLS)
  std::string key;
};

// --target, --token-file, --tls-ca, --tls-cert, --tls-key.
void add_connection_options(boost::program_options::options_description& options);
// The options' connection; an error names the option whose file cannot be read.
std::expected<Connection, std::string> connection_from(const boost::program_options::variables_map& vm);

std::unique_ptr<v1::IngestService::Stub> make_stub(const Connection& connection);
std::unique_ptr<v1::IngestService::Stub> make_stub(const std::string& target);
// Adds the bearer token, if any, to a call.
void authorize(grpc::ClientContext& context, const Connection& connection);

// Waits until the channel is connected or `seconds` pass.
bool wait_connected(const Connection& connection, double seconds);
bool wait_connected(const std::string& target, double seconds);

// Copies a generated observation into its wire form.
void to_wire(const TrafficObservation& in, v1::Observation& out);

}  // namespace anomstream::tools
