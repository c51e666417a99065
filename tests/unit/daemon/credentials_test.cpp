// The credential files: tokens, UDP keys and basic-auth entries parse strictly and name
// the entry at fault; tokens and keys grant exactly their tenants and actions; the UDP
// envelope verifies, refuses forgeries, replays and stale time stamps.

#include <doctest/doctest.h>

#include "ingest/access_control.hpp"
#include "ingest/udp_auth.hpp"
#include "metrics/http_endpoint.hpp"
#include "persist/state_file.hpp"

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
