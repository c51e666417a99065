// The credential files: tokens, UDP keys and basic-auth entries parse strictly and name
// the entry at fault; tokens and keys grant exactly their tenants and actions; the UDP
// envelope verifies, refuses forgeries, replays and stale time stamps.

#include <doctest/doctest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "config/secret_file.hpp"
#include "ingest/access_control.hpp"
#include "ingest/udp_auth.hpp"
#include "metrics/http_endpoint.hpp"
#include "persist/state_file.hpp"
#include "temp_dir.hpp"

using namespace anomstream::daemon;

namespace {
std::string hex_sha256(const std::string& text) { return to_hex(sha256(text)); }
constexpr std::int64_t NOW = 1'800'000'000'000'000'000;
constexpr std::int64_t SECOND = 1'000'000'000;
}  // namespace

TEST_CASE("a tokens file grants each token its tenants and actions, and names the entry at fault") {
  auto table = TokenTable::parse("tokens:\n  - sha256: " + hex_sha256("alpha") +
                                     "\n    tenants: [a, b]\n    may: [write]\n  - sha256: " + hex_sha256("root") +
                                     "\n    tenants: [\"*\"]\n    may: [write, watch, feedback]\n",
                                 "t.yaml");
  REQUIRE_MESSAGE(table, (table ? "" : table.error()));
  const Grant* alpha = table->find("alpha");
  REQUIRE(alpha != nullptr);
  CHECK(alpha->may(Action::write));
  CHECK_FALSE(alpha->may(Action::watch));
  CHECK(alpha->covers("b"));
  CHECK_FALSE(alpha->covers("c"));
  CHECK(table->find("root")->covers("anything"));
  CHECK(table->find("beta") == nullptr);
  CHECK(table->find("") == nullptr);

  const auto error = [](const std::string& text) {
    auto t = TokenTable::parse(text, "t.yaml");
    REQUIRE_FALSE(t);
    return t.error();
  };
  CHECK(error("tokens:\n  - sha256: abc\n    tenants: [a]\n    may: [write]\n").find("tokens[0]: sha256") != std::string::npos);
  CHECK(error("tokens:\n  - sha256: " + hex_sha256("x") + "\n    tenants: []\n    may: [write]\n").find("tenants") !=
        std::string::npos);
  CHECK(error("tokens:\n  - sha256: " + hex_sha256("x") + "\n    tenants: [a]\n    may: [admin]\n").find("\"admin\"") !=
        std::string::npos);
  CHECK(error("tokens:\n  - sha256: " + hex_sha256("x") + "\n    tenants: [a]\n    may: [write]\n    note: 1\n")
            .find("unknown field \"note\"") != std::string::npos);
  CHECK(error("tokens:\n  - sha256: " + hex_sha256("x") + "\n    tenants: [a]\n    may: [write]\n  - sha256: " +
              hex_sha256("x") + "\n    tenants: [b]\n    may: [watch]\n")
            .find("listed twice") != std::string::npos);
  CHECK(error("users: []\n").find("under \"tokens\"") != std::string::npos);
  CHECK(error("tokens: [\n").find("not YAML") != std::string::npos);
}

TEST_CASE("a signed datagram opens once, within its window, and only with the right key") {
  auto keys = UdpKeyTable::parse("keys:\n  - id: s1\n    secret_hex: " + std::string(64, 'b') + "\n    tenants: [a]\n",
                                 "k.yaml");
  REQUIRE_MESSAGE(keys, (keys ? "" : keys.error()));
  UdpKey key = *keys->find("s1");
  UdpAuthenticator auth(std::move(*keys), std::chrono::seconds(60), NOW - 10 * SECOND);
  const auto sealed = seal_datagram(key, static_cast<std::uint64_t>(NOW), "payload");
  auto opened = auth.open(sealed, NOW);
  REQUIRE(opened);
  CHECK(opened->payload == "payload");
  CHECK(opened->key->covers("a"));
  CHECK_FALSE(opened->key->covers("b"));
  CHECK(auth.open(sealed, NOW).error().find("replayed") != std::string::npos);
  CHECK(auth.open("payload", NOW).error().find("not signed") != std::string::npos);
  std::string forged = sealed;
  forged[12] ^= 0x20;
  CHECK(auth.open(forged, NOW).error().find("MAC") != std::string::npos);
  CHECK(auth.open(seal_datagram(key, static_cast<std::uint64_t>(NOW - 120 * SECOND), "p"), NOW).error().find("window") !=
        std::string::npos);
  // Stamped before the daemon started (or reloaded its keys): a replay from an earlier run.
  CHECK(auth.open(seal_datagram(key, static_cast<std::uint64_t>(NOW - 20 * SECOND), "p"), NOW).error().find("replayed") !=
        std::string::npos);
  UdpKey stranger = key;
  stranger.id = "s2";
  CHECK(auth.open(seal_datagram(stranger, static_cast<std::uint64_t>(NOW + 1), "p"), NOW).error().find("unknown key") !=
        std::string::npos);
  CHECK(auth.open(seal_datagram(key, static_cast<std::uint64_t>(NOW + 1), "p"), NOW));
  CHECK_FALSE(UdpKeyTable::parse("keys:\n  - id: s\n    secret_hex: abcd\n    tenants: [a]\n", "k.yaml"));
}

TEST_CASE("basic credentials accept exactly the listed user and password") {
  auto credentials = BasicCredentials::parse("# scraper\nprometheus:" + hex_sha256("s3cret") + "\n", "b.txt");
  REQUIRE(credentials);
  CHECK(credentials->accepts("Basic cHJvbWV0aGV1czpzM2NyZXQ="));       // prometheus:s3cret
  CHECK_FALSE(credentials->accepts("Basic cHJvbWV0aGV1czp3cm9uZw=="));  // prometheus:wrong
  CHECK_FALSE(credentials->accepts("Basic b3RoZXI6czNjcmV0"));          // other:s3cret
  CHECK_FALSE(credentials->accepts("Bearer x"));
  CHECK_FALSE(credentials->accepts("Basic ###"));
  CHECK_FALSE(BasicCredentials::parse("prometheus:abc\n", "b.txt"));
  CHECK_FALSE(BasicCredentials::parse("# nothing\n", "b.txt"));
}

TEST_CASE("a secret file: owner-only for the daemon's user; root-owned may be read by its group, as Kubernetes mounts it") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to create root-owned files and switch to another user");
    return;
  }
  anomstream::test::TempDir dir;
  constexpr uid_t USER = 65534;  // nobody
  constexpr gid_t GROUP = 65534;
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
  const auto make = [&](const std::string& name, uid_t owner, gid_t group, mode_t mode) {
    const auto path = dir.write(name, "secret\n").string();
    REQUIRE(::chown(path.c_str(), owner, group) == 0);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    return path;
  };
  const auto root_group_read = make("root-0640", 0, GROUP, 0640);
  const auto root_world_read = make("root-0644", 0, GROUP, 0644);
  const auto root_group_write = make("root-0660", 0, GROUP, 0660);
  const auto own_group_read = make("own-0640", USER, GROUP, 0640);
  const auto own_owner_only = make("own-0600", USER, GROUP, 0600);
  // Read each as the unprivileged user, in a child process; the exit code carries which were accepted.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(GROUP) != 0 || ::setuid(USER) != 0) ::_exit(100);
    int accepted = 0;
    const std::string files[] = {root_group_read, root_world_read, root_group_write, own_group_read, own_owner_only};
    for (int i = 0; i < 5; ++i) {
      if (read_secret_file(files[i], "test").has_value()) accepted |= 1 << i;
    }
    ::_exit(accepted);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) != 100);
  CHECK(WEXITSTATUS(status) == (1 << 0 | 1 << 4));  // root-owned 0640 and the user's own 0600
  // Root running the daemon gets no such latitude for its own files.
  const auto refused = read_secret_file(root_group_read, "test");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().find("has mode 0640") != std::string::npos);
}
