#include "client.hpp"

#include <chrono>

namespace anomstream::tools {

std::unique_ptr<v1::IngestService::Stub> make_stub(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 * 1024 * 1024);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  return v1::IngestService::NewStub(channel);
}

bool wait_connected(const std::string& target, double seconds) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
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
