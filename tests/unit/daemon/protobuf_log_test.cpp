// libprotobuf's log lines (one per non-UTF-8 string field parsed) reach spdlog at debug
// level, rate-limited, instead of stderr at line rate.

#include <doctest/doctest.h>
#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <string>

#include "anomstream/v1/observation.pb.h"
#include "app/protobuf_log.hpp"

using namespace anomstream;

TEST_CASE("a flood of datagrams with non-UTF-8 names writes a bounded number of debug lines") {
  // Seen while fuzzing (the state file and UDP targets' output was mostly these lines):
  // every such datagram wrote a libprotobuf ERROR line to the daemon's stderr.
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);

  daemon::route_protobuf_logs();
  v1::ObservationBatch batch;
  auto* o = batch.add_observations();
  o->set_tenant("acme");
  o->add_values(1.0);
  std::string bytes = batch.SerializeAsString();
  const auto at = bytes.find("acme");
  REQUIRE(at != std::string::npos);
  bytes[at] = '\xff';  // no longer UTF-8
  for (int i = 0; i < 1000; ++i) {
    v1::ObservationBatch parsed;
    CHECK_FALSE(parsed.ParseFromString(bytes));
  }
  google::protobuf::SetLogHandler(nullptr);
  spdlog::set_default_logger(previous);

  std::size_t lines = 0;
  for (const char c : captured.str()) lines += c == '\n' ? 1 : 0;
  CHECK(lines >= 1);
  CHECK(lines <= 2 * daemon::PROTOBUF_LOG_BURST);  // a one-second window, perhaps two
  CHECK(captured.str().find("event=protobuf_log") != std::string::npos);
}
