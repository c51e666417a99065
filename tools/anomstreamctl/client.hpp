#pragma once
// gRPC client helpers shared by the anomstreamctl commands and the integration tests.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "anomstream/v1/ingest_service.grpc.pb.h"
#include "traffic_generator.hpp"

namespace anomstream::tools {

std::unique_ptr<v1::IngestService::Stub> make_stub(const std::string& target);

// Waits until the channel is connected or `seconds` pass.
bool wait_connected(const std::string& target, double seconds);

// Copies a generated observation into its wire form.
void to_wire(const TrafficObservation& in, v1::Observation& out);

}  // namespace anomstream::tools
