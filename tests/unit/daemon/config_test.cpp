#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

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

TEST_CASE("a key repeated in one map is refused, not silently overridden") {
  auto config = load_config("server:\n  grpc:\n    listen: \"127.0.0.1:1\"\nserver:\n  allow_insecure_remote: true\n",
                            "twice.yaml");
  REQUIRE_FALSE(config);
  REQUIRE(config.error().problems.size() == 1);
  CHECK(config.error().problems[0].path == "server");
  CHECK(config.error().problems[0].line == 4);
  CHECK(config.error().problems[0].found == "\"server\" again");
}

TEST_CASE("type mismatches are rejected") {
  CHECK_FALSE(load_config("workers: 3\n", "t.yaml"));                  // map expected
  CHECK_FALSE(load_config("workers:\n  count: two\n", "t.yaml"));      // integer expected
  CHECK_FALSE(load_config("workers:\n  count: 2.5\n", "t.yaml"));      // not an integer
  CHECK_FALSE(load_config("server:\n  udp:\n    listen: nohost\n", "t.yaml"));
  CHECK_FALSE(load_config("server:\n  udp:\n    listen: \"h:70000\"\n", "t.yaml"));
  CHECK_FALSE(load_config("workers:\n  count: [1]\n", "t.yaml"));
}

TEST_CASE("a number is read as the decimal it was validated as, leading zeros included") {
  // Found by tests/fuzz/config_fuzz.cpp (tests/fuzz/regressions/config/leading_zero.yaml):
  // the schema accepted "0999" as 999, then yaml-cpp read it as octal and threw out of the
  // loader (the daemon died at start, or on SIGHUP with the file in place); "0777" became 511.
  auto config = load_config("audit:\n  fsync_interval_ms: 0999\nworkers:\n  queue_capacity: 0777\n"
                            "pipeline:\n  threshold:\n    z_factor: 03.5\n"
                            "  severity_thresholds: [0.1, 00.2, 0.3, 0.4]\n",
                            "t.yaml");
  REQUIRE(config);
  CHECK(config->audit.fsync_interval_ms == 999);
  CHECK(config->queue_capacity == 777);
  CHECK(config->pipeline.z_factor == 3.5);
  CHECK(config->pipeline.severity_thresholds[1] == 0.2);
}

TEST_CASE("an empty document keeps every default") {
  CHECK(load_config("", "empty.yaml"));
  CHECK(load_config("# only a comment\n", "empty.yaml"));
}

// A key is declared once: its schema entry binds the member it fills, so a key without a
// binding, or a default the binding cannot convert, fails here rather than at start.
TEST_CASE("every schema key binds a member and the defaults fill them all") {
  const auto& schema = anomstream::daemon::config_schema();
  const auto paths = anomstream::daemon::leaf_paths(schema);
  REQUIRE(paths.size() > 30);
  std::function<void(const anomstream::daemon::Field&, const std::string&)> check =
      [&](const anomstream::daemon::Field& field, const std::string& prefix) {
        for (const auto& child : field.children) {
          const std::string path = prefix.empty() ? child.name : prefix + "." + child.name;
          if (child.kind == anomstream::daemon::FieldKind::map) {
            check(child, path);
          } else {
            CHECK_MESSAGE(static_cast<bool>(child.assign), path);
          }
        }
      };
  check(schema, "");
  const auto config = anomstream::daemon::default_config();
  CHECK(config.pipeline.severity_thresholds.size() == 4);
  CHECK(config.shutdown_deadline_ms > 0);
}

// A reload compares the running and the new document key by key; keys that need a
// restart keep their running value in both the document and the typed config.
TEST_CASE("a reload sees which keys changed, and keeps the running value of restart-only ones") {
  auto before = anomstream::daemon::load_config_document("", "a.yaml");
  auto after = anomstream::daemon::load_config_document(
      "pipeline:\n  threshold:\n    z_factor: 4.5\nworkers:\n  count: 9\nlogging:\n  level: debug\n", "b.yaml");
  REQUIRE(before);
  REQUIRE(after);
  const auto changes = anomstream::daemon::changed_keys(before->document, after->document);
  REQUIRE(changes.size() == 3);
  std::vector<std::string> restart;
  for (const auto& c : changes) {
    if (c.path == "workers.count") CHECK_FALSE(c.live);
    if (c.path == "pipeline.threshold.z_factor" || c.path == "logging.level") CHECK(c.live);
    if (!c.live) restart.push_back(c.path);
  }
  anomstream::daemon::keep_keys(restart, before->document, after->document, after->config);
  CHECK(after->config.worker_count == before->config.worker_count);
  CHECK(after->config.pipeline.z_factor == 4.5);
  CHECK(after->config.log_level == "debug");
  const auto left = anomstream::daemon::changed_keys(before->document, after->document);
  CHECK(left.size() == 2);
}

TEST_CASE("stream lists and kmeans parameters are checked across keys, naming the entry") {
  // The one problem a configuration text has.
  const auto only_problem = [](const std::string& text) {
    auto loaded = load_config(text, "t.yaml");
    REQUIRE_FALSE(loaded);
    REQUIRE(loaded.error().problems.size() == 1);
    return loaded.error().problems[0];
  };
  const auto twice = only_problem("pipeline:\n  streams:\n    forest: [\"dns/*\"]\n    kmeans: [flows, \"dns/*\"]\n");
  CHECK(twice.path == "pipeline.streams.kmeans[1]");
  CHECK(twice.line == 4);
  CHECK(twice.found == "\"dns/*\" also in pipeline.streams.forest");
  auto repeated = load_config("pipeline:\n  streams:\n    kmeans: [a, b, a]\n", "t.yaml");
  REQUIRE_FALSE(repeated);
  CHECK(repeated.error().problems[0].path == "pipeline.streams.kmeans[2]");
  auto star = load_config("pipeline:\n  streams:\n    kmeans: [\"a*b\", \"\"]\n", "t.yaml");
  REQUIRE_FALSE(star);
  REQUIRE(star.error().problems.size() == 2);
  CHECK(star.error().problems[0].path == "pipeline.streams.kmeans[0]");
  CHECK(star.error().problems[1].path == "pipeline.streams.kmeans[1]");
  const auto small = only_problem("pipeline:\n  kmeans:\n    clusters: 20\n    warmup: 19\n");
  CHECK(small.path == "pipeline.kmeans.warmup");
  CHECK(small.expected == "at least pipeline.kmeans.clusters (20)");
  auto wide = load_config("pipeline:\n  dimension: 2000\n  kmeans:\n    window: 40\n", "t.yaml");
  REQUIRE_FALSE(wide);
  CHECK(wide.error().problems[0].path == "pipeline.kmeans.window");
  for (const char* weight : {"-0.5", "2e6", ".nan", "heavy"}) {
    CAPTURE(weight);
    const auto bad = only_problem(std::string("pipeline:\n  kmeans:\n    newest_weight: ") + weight + "\n");
    CHECK(bad.path == "pipeline.kmeans.newest_weight");
    CHECK(bad.expected == "a number in [0, 1000000]");
  }
  auto plain = load_config("pipeline:\n  kmeans:\n    newest_weight: 0\n", "t.yaml");
  REQUIRE(plain);
  CHECK(plain->pipeline.kmeans.newest_weight == 0.0);
  CHECK_FALSE(load_config("pipeline:\n  detector: knn\n", "t.yaml"));
  auto ok = load_config("pipeline:\n  detector: kmeans\n  streams:\n    forest: [\"dns/*\"]\n", "t.yaml");
  REQUIRE(ok);
  CHECK(ok->pipeline.detector == "kmeans");
  CHECK(ok->pipeline.streams.forest == std::vector<std::string>{"dns/*"});
  CHECK(ok->pipeline.kmeans.window == 40);
  CHECK(ok->pipeline.kmeans.newest_weight == 4.0);  // the built-in default
}
