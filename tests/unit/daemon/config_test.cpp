#include <doctest/doctest.h>

#include "config/config.hpp"

using anomstream::daemon::load_config;

TEST_CASE("the built-in config loads and listens on loopback only") {
  const auto config = anomstream::daemon::default_config();
  CHECK(config.grpc.listen.host == "127.0.0.1");
  CHECK(config.udp.listen.host == "127.0.0.1");
  CHECK(config.metrics_listen.host == "127.0.0.1");
  CHECK(config.worker_count >= 1);
  CHECK(config.audit.path.empty());
}

TEST_CASE("a user file overrides only the keys it names") {
  auto config = load_config("workers:\n  count: 7\nserver:\n  grpc:\n    listen: \"[::1]:0\"\n", "user.yaml");
  REQUIRE(config);
  CHECK(config->worker_count == 7);
  CHECK(config->grpc.listen.host == "::1");
  CHECK(config->grpc.listen.port == 0);
  CHECK(config->queue_capacity == anomstream::daemon::default_config().queue_capacity);
}

TEST_CASE("every problem in a file is reported, each with its path and line") {
  auto config = load_config("workers:\n  count: 0\nlogging:\n  level: loud\nextra: 1\n", "bad.yaml");
  REQUIRE_FALSE(config);
  const auto& problems = config.error().problems;
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].path == "workers.count");
  CHECK(problems[0].line == 2);
  CHECK(problems[0].expected == "an integer in [1, 256]");
  CHECK(problems[1].path == "logging.level");
  CHECK(problems[1].line == 4);
  CHECK(problems[2].path == "extra");
  CHECK(problems[2].found == "unknown key \"extra\"");
}

TEST_CASE("type mismatches are rejected") {
  CHECK_FALSE(load_config("workers: 3\n", "t.yaml"));                  // map expected
  CHECK_FALSE(load_config("workers:\n  count: two\n", "t.yaml"));      // integer expected
  CHECK_FALSE(load_config("workers:\n  count: 2.5\n", "t.yaml"));      // not an integer
  CHECK_FALSE(load_config("server:\n  udp:\n    listen: nohost\n", "t.yaml"));
  CHECK_FALSE(load_config("server:\n  udp:\n    listen: \"h:70000\"\n", "t.yaml"));
  CHECK_FALSE(load_config("workers:\n  count: [1]\n", "t.yaml"));
}

TEST_CASE("an empty document keeps every default") {
  CHECK(load_config("", "empty.yaml"));
  CHECK(load_config("# only a comment\n", "empty.yaml"));
}
