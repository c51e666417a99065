#include "app/protobuf_log.hpp"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <string>

#include "worker/log_limiter.hpp"
#include "worker/log_text.hpp"

namespace anomstream::daemon {
namespace {

void log_protobuf(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    spdlog::critical("event=protobuf_fatal file={} line={} message=\"{}\"", file, line, escape_for_log(message));
    return;
  }
  // Protobuf offers one process-wide hook, so the limiter lives with it.
  static std::mutex mutex;
  static LogLimiter limiter(PROTOBUF_LOG_BURST, std::chrono::seconds(1));
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex);
    if (!limiter.allow(LogLimiter::Clock::now(), suppressed)) return;
  }
  spdlog::debug("event=protobuf_log file={} line={} message=\"{}\" suppressed={}", file, line,
                escape_for_log(message), suppressed);
}

}  // namespace

void route_protobuf_logs() { google::protobuf::SetLogHandler(&log_protobuf); }

}  // namespace anomstream::daemon
