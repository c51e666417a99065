#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

#include "worker/log_limiter.hpp"

using anomstream::daemon::LogLimiter;
using namespace std::chrono_literals;

TEST_CASE("log limiter lets a burst through per period and reports what it held back") {
  LogLimiter limiter(3, 10s);
  const LogLimiter::Clock::time_point t0 = LogLimiter::Clock::time_point{} + 100s;
  std::uint64_t suppressed = 99;
  int written = 0;
  for (int i = 0; i < 1000; ++i) {
    if (limiter.allow(t0 + std::chrono::milliseconds(i), suppressed)) {
      ++written;
      CHECK(suppressed == 0);  // nothing was held back before the first three
    }
  }
  CHECK(written == 3);
  // The next period: the first line carries the 997 held back in the last one.
  REQUIRE(limiter.allow(t0 + 10s, suppressed));
  CHECK(suppressed == 997);
  REQUIRE(limiter.allow(t0 + 10s + 1ms, suppressed));
  CHECK(suppressed == 0);
}

TEST_CASE("log limiter writes every line of a slow stream of events") {
  LogLimiter limiter(1, 1s);
  const LogLimiter::Clock::time_point t0 = LogLimiter::Clock::time_point{} + 5s;
  std::uint64_t suppressed = 0;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(limiter.allow(t0 + std::chrono::seconds(i), suppressed));
    CHECK(suppressed == 0);
  }
}
