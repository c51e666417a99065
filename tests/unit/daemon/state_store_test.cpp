// StateStore: atomic writes with a previous generation, quarantine of bad files with a
// fallback to the previous one, the newest queued state visible before it is written,
// one daemon per directory, and write errors that leave the old file in place.

#include <doctest/doctest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "persist/state_store.hpp"

using namespace anomstream::daemon;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("anomstream-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

Fingerprint fingerprint() {
  Fingerprint f{};
  f.fill(3);
  return f;
}

std::string state_bytes(const std::string& tenant, std::uint64_t position, std::size_t padding = 0) {
  anomstream::state::v1::TenantState body;
  body.set_tenant(tenant);
  body.set_input_position(position);
  auto* stream = body.add_streams();
  stream->set_stream(std::string(padding, 'x'));
  return encode_state_file(body, fingerprint(), 1);
}

double value(prometheus::Registry& registry, const std::string& name, const std::string& label = "") {
  double total = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = label.empty();
      for (const auto& l : m.label) match = match || l.value == label;
      if (match) total += family.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
    }
  }
  return total;
}

std::unique_ptr<StateStore> open_store(const fs::path& dir, prometheus::Registry& registry) {
  auto store = StateStore::open({.dir = dir}, registry);
  REQUIRE_MESSAGE(store, (store ? "" : store.error()));
  return std::move(*store);
}

}  // namespace

TEST_CASE("a written state loads back, and the previous generation is kept beside it") {
  TempDir dir;
  prometheus::Registry registry;
  auto store = open_store(dir.path, registry);
  REQUIRE(store->submit("t", state_bytes("t", 10), true));
  store->flush();
  REQUIRE(store->submit("t", state_bytes("t", 20), true));
  store->flush();
  const auto id = StateStore::tenant_id("t");
  CHECK(fs::exists(dir.path / "tenants" / (id + ".state")));
  CHECK(fs::exists(dir.path / "tenants" / (id + ".state.prev")));
  CHECK_FALSE(fs::exists(dir.path / "tenants" / (id + ".state.tmp")));
  auto loaded = store->load("t", fingerprint());
  REQUIRE(loaded);
  CHECK(loaded->file.body.input_position() == 20);
  CHECK(value(registry, "anomstream_state_snapshots_written_total") == 2);
  CHECK_FALSE(store->load("nobody", fingerprint()));
  CHECK(store->healthy());
}

TEST_CASE("a corrupt current file is quarantined and the previous generation restores") {
  TempDir dir;
  prometheus::Registry registry;
  auto store = open_store(dir.path, registry);
  REQUIRE(store->submit("t", state_bytes("t", 10), true));
  store->flush();
  REQUIRE(store->submit("t", state_bytes("t", 20), true));
  store->flush();
  const auto current = dir.path / "tenants" / (StateStore::tenant_id("t") + ".state");
  fs::resize_file(current, fs::file_size(current) / 2);  // a torn write
  auto loaded = store->load("t", fingerprint());
  REQUIRE(loaded);
  CHECK(loaded->file.body.input_position() == 10);
  CHECK_FALSE(fs::exists(current));
  CHECK(value(registry, "anomstream_state_quarantined_total", "truncated") == 1);
  std::size_t quarantined = 0;
  for (const auto& entry : fs::directory_iterator(dir.path / "quarantine")) {
    quarantined += entry.path().filename().string().find(".truncated.") != std::string::npos ? 1 : 0;
  }
  CHECK(quarantined == 1);
  // Garbage in both generations: nothing restores, the tenant starts cold.
  std::ofstream(current) << "not a state file";
  std::ofstream(dir.path / "tenants" / (StateStore::tenant_id("t") + ".state.prev")) << "nor is this one";
  CHECK_FALSE(store->load("t", fingerprint()));
  CHECK(value(registry, "anomstream_state_quarantined_total", "bad_magic") == 2);
  // A state written under other model settings is moved aside too.
  REQUIRE(store->submit("u", state_bytes("u", 5), true));
  store->flush();
  Fingerprint other{};
  CHECK_FALSE(store->load("u", other));
  CHECK(value(registry, "anomstream_state_quarantined_total", "config_mismatch") == 1);
}

TEST_CASE("the newest submitted state is what a load sees, even before it is written") {
  TempDir dir;
  prometheus::Registry registry;
  auto store = open_store(dir.path, registry);
  for (std::uint64_t p = 1; p <= 50; ++p) REQUIRE(store->submit("t", state_bytes("t", p), false));
  auto loaded = store->load("t", fingerprint());
  REQUIRE(loaded);
  CHECK(loaded->file.body.input_position() == 50);
  store->flush();
  CHECK(store->load("t", fingerprint())->file.body.input_position() == 50);
  CHECK(value(registry, "anomstream_state_snapshots_written_total") <= 50);
}

TEST_CASE("a second store cannot take a directory another one holds") {
  TempDir dir;
  prometheus::Registry registry;
  auto first = open_store(dir.path, registry);
  prometheus::Registry other_registry;
  auto second = StateStore::open({.dir = dir.path}, other_registry);
  REQUIRE_FALSE(second);
  CHECK(second.error().find("in use by another anomstreamd") != std::string::npos);
  first.reset();
  CHECK(StateStore::open({.dir = dir.path}, other_registry));
}

// A file-size limit makes write(2) fail (EFBIG) the way a full disk does (ENOSPC): the
// error is counted, the store reports unhealthy, the last good file stays, and the next
// write that fits succeeds again.
TEST_CASE("a failed write is counted, keeps the previous file and clears when writes succeed again") {
  TempDir dir;
  prometheus::Registry registry;
  auto store = open_store(dir.path, registry);
  REQUIRE(store->submit("t", state_bytes("t", 1), true));
  store->flush();
  rlimit before{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &before) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = before;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  REQUIRE(store->submit("t", state_bytes("t", 2, 100'000), true));
  store->flush();
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &before) == 0);
  std::signal(SIGXFSZ, old_handler);
  CHECK_FALSE(store->healthy());
  CHECK(value(registry, "anomstream_state_write_errors_total") == 1);
  CHECK(store->load("t", fingerprint())->file.body.input_position() == 1);
  CHECK_FALSE(fs::exists(dir.path / "tenants" / (StateStore::tenant_id("t") + ".state.tmp")));
  REQUIRE(store->submit("t", state_bytes("t", 3), true));
  store->flush();
  CHECK(store->healthy());
  CHECK(store->load("t", fingerprint())->file.body.input_position() == 3);
}
