// Every secret key the daemon uses comes from its SecretKeyDrawer: a refused draw fails
// the start step (or the reload) that needed it, naming the step and what the key was
// for, and no component falls back to a key of its own.

#include <doctest/doctest.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <utility>

#include "anomstream/core/secret_key.hpp"
#include "app/daemon.hpp"
#include "temp_dir.hpp"

using anomstream::Result;
using anomstream::SipKey;
using anomstream::daemon::Daemon;

namespace {

constexpr int WORKERS = 2;
// Keyed sampler and rate cap, shard, stream-registry and tenant-registry hashes, and per
// worker its tenant index and its tenants' stream index.
constexpr std::size_t KEYS_PER_START = 5 + 2 * WORKERS;

// Loopback on free ports, no sinks, every keyed part switched on.
std::string config_text(double sampler_rate) {
  return "server:\n"
         "  grpc:\n    listen: 127.0.0.1:0\n"
         "  udp:\n    listen: 127.0.0.1:0\n"
         "  metrics:\n    listen: 127.0.0.1:0\n"
         "workers:\n  count: " +
         std::to_string(WORKERS) +
         "\n"
         "hotpath:\n"
         "  sampler:\n    mode: keyed\n    rate: " +
         std::to_string(sampler_rate) +
         "\n"
         "  rate_cap:\n    enabled: true\n"
         "sinks:\n  json_lines: \"\"\n"
         "logging:\n  level: off\n";
}

anomstream::daemon::LoadedConfig load(const std::string& text) {
  auto loaded = anomstream::daemon::load_config_document(text, "test.yaml");
  REQUIRE(loaded.has_value());
  return std::move(*loaded);
}

// The kernel refusing getrandom(2), as the real drawer reports it.
Result<SipKey> refused_draw() {
  return anomstream::draw_secret_key_from([](std::span<std::byte>) -> std::ptrdiff_t { return -ENOSYS; });
}

// Hands out distinct keys, counting them; refuses the draw numbered `refuse_at` (0-based).
struct TestDrawer {
  std::size_t draws = 0;
  std::size_t refuse_at = static_cast<std::size_t>(-1);
  std::set<std::pair<std::uint64_t, std::uint64_t>> handed_out{};

  anomstream::SecretKeyDrawer drawer() {
    return [this]() -> Result<SipKey> {
      if (draws++ == refuse_at) return refused_draw();
      const SipKey key = anomstream::key_from_seed(draws);
      handed_out.emplace(key.k0, key.k1);
      return key;
    };
  }
};

}  // namespace

TEST_CASE("the daemon draws a fresh key for every keyed part at start, one each") {
  TestDrawer keys;
  Daemon daemon(load(config_text(0.5)), "", keys.drawer());
  auto started = daemon.start();
  REQUIRE_MESSAGE(started.has_value(), started.error());
  CHECK(keys.draws == KEYS_PER_START);
  CHECK(keys.handed_out.size() == KEYS_PER_START);
  daemon.stop();
}

TEST_CASE("a refused key draw fails the start step that needed it, whichever draw it is") {
  const std::string refusal = "io_error: secret_key: 16 bytes from getrandom(2), which failed: ";
  const std::array<std::string, KEYS_PER_START> expected{
      "build_admission: hotpath.sampler: secret key for the keyed sampler: ",
      "build_admission: hotpath.rate_cap: secret key for the rate cap: ",
      "build_admission: secret key for the worker shard hash: ",
      "build_admission: secret key for the stream dimension registry: ",
      "build_admission: secret key for the tenant registry: ",
      "start_workers: secret key for the tenant index of worker 0: ",
      "start_workers: secret key for the stream index of worker 0: ",
      "start_workers: secret key for the tenant index of worker 1: ",
      "start_workers: secret key for the stream index of worker 1: ",
  };
  for (std::size_t n = 0; n < KEYS_PER_START; ++n) {
    INFO("refusing draw " << n);
    TestDrawer keys{.refuse_at = n};
    Daemon daemon(load(config_text(0.5)), "", keys.drawer());
    auto started = daemon.start();
    REQUIRE_FALSE(started.has_value());
    CHECK(started.error().starts_with(expected[n] + refusal));
    // Nothing was drawn after the refusal: the step stopped there.
    CHECK(keys.draws == n + 1);
  }
}

TEST_CASE("the real drawer refusing fails the start instead of falling back to a fixed key") {
  Daemon daemon(load(config_text(0.5)), "", [] { return refused_draw(); });
  auto started = daemon.start();
  REQUIRE_FALSE(started.has_value());
  CHECK(started.error().starts_with("build_admission: "));
  CHECK(started.error().find("secret key for") != std::string::npos);
}

TEST_CASE("a reload that rebuilds the sampler draws fresh keys, and a refused draw fails the reload") {
  anomstream::test::TempDir dir;
  const auto path = dir.write("anomstreamd.yaml", config_text(0.5)).string();
  TestDrawer keys;
  Daemon daemon(load(config_text(0.5)), path, keys.drawer());
  REQUIRE(daemon.start().has_value());
  REQUIRE(keys.draws == KEYS_PER_START);

  dir.write("anomstreamd.yaml", config_text(0.25));
  auto reloaded = daemon.reload();
  CHECK_MESSAGE(reloaded.ok, reloaded.message);
  CHECK(keys.draws == KEYS_PER_START + 2);  // the new sampler's and rate cap's

  keys.refuse_at = keys.draws;
  dir.write("anomstreamd.yaml", config_text(0.75));
  auto refused = daemon.reload();
  CHECK_FALSE(refused.ok);
  CHECK(refused.message.starts_with("hotpath.sampler: secret key for the keyed sampler: io_error: secret_key: "));
  daemon.stop();
}
