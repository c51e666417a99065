#include "app/protobuf_log.hpp"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <string>

#include "worker/log_limiter.hpp"

namespace anomstream::daemon {
namespace {

void log_protobuf(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    spdlog::critical("event=protobuf_fatal file={} line={} message=\"{}\"", file, line, message);
    return;
  }
  static std::mutex mutex;
  static LogLimiter limiter(PROTOBUF_LOG_BURST, std::chrono::seconds(1));
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex);
    if (!limiter.allow(LogLimiter::Clock::now(), suppressed)) return;
  }
  spdlog::debug("event=protobuf_log file={} line={} message=\"{}\" suppressed={}", file, line, message, suppressed);
}

}  // namespace

void route_protobuf_logs() { google::protobuf::SetLogHandler(&log_protobuf); }

}  // namespace anomstream::daemon
