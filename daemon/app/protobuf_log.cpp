#include "app/protobuf_log.hpp"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "worker/log_limiter.hpp"
#include "worker/log_text.hpp"

namespace anomstream::daemon {
namespace {

void handle(google::protobuf::LogLevel level, const char* /*file*/, int /*line*/, const std::string& message) {
  // Protobuf offers one process-wide hook, so the limiter lives with it.
  static std::mutex mutex;
  static LogLimiter limiter{10, std::chrono::seconds(10)};
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex);
    if (!limiter.allow(LogLimiter::Clock::now(), suppressed)) return;
  }
  const auto spd_level = level >= google::protobuf::LOGLEVEL_ERROR ? spdlog::level::warn : spdlog::level::debug;
  spdlog::log(spd_level, "event=protobuf detail=\"{}\" suppressed={}", escape_for_log(message), suppressed);
}

}  // namespace

void route_protobuf_logs() { google::protobuf::SetLogHandler(&handle); }

}  // namespace anomstream::daemon
