// The scale-out layout's pure parts: the partition of a tenant, alert ids from stream
// sequences, names; and the configuration rules of ingest.jetstream.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "cluster/jetstream.hpp"
#include "config/config.hpp"

using anomstream::SipKey;
using anomstream::daemon::ClusterLayout;
using anomstream::daemon::load_config;

namespace {
ClusterLayout layout(std::uint32_t partitions, SipKey key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL}) {
  ClusterLayout l;
  l.stream = "ANOMSTREAM";
  l.prefix = "anomstream";
  l.group = "scorers";
  l.instance = "a";
  l.partitions = partitions;
  l.key = key;
  return l;
}
}  // namespace

TEST_CASE("a tenant's partition depends on the key only, and tenants spread over every partition") {
  const auto a = layout(16);
  const auto b = layout(16);
  const auto other = layout(16, {1, 2});
  std::vector<int> counts(16, 0);
  int moved = 0;
  for (int t = 0; t < 1600; ++t) {
    const std::string tenant = "tenant-" + std::to_string(t);
    const auto p = a.partition_of(tenant);
    REQUIRE(p < 16);
    CHECK(b.partition_of(tenant) == p);  // every instance computes the same
    ++counts[p];
    moved += other.partition_of(tenant) != p ? 1 : 0;
  }
  // 100 expected per partition; a binomial(1600, 1/16) stays within 55..145 with
  // probability above 1 - 1e-7 per partition.
  for (const int c : counts) CHECK((c > 55 && c < 145));
  CHECK(moved > 1300);  // another key: about 15/16 of the tenants elsewhere
}

TEST_CASE("an alert id carries its message's stream sequence and a tag keyed by tenant and stream") {
  const auto l = layout(8);
  const auto id = l.alert_id("t", "s", 0x0102030405060708ULL);
  CHECK(id[0] == 0x01);
  CHECK(id[7] == 0x08);
  CHECK(l.alert_id("t", "s", 0x0102030405060708ULL) == id);  // the same message, the same id
  std::set<std::array<std::uint8_t, 16>> tags;
  for (const auto& [tenant, stream] : std::vector<std::pair<std::string, std::string>>{
           {"t", "s"}, {"t", "s2"}, {"t2", "s"}, {std::string("t\0s", 3), ""}, {"", std::string("t\0s", 3)}}) {
    auto other = l.alert_id(tenant, stream, 0x0102030405060708ULL);
    tags.insert(other);
  }
  CHECK(tags.size() == 5);  // the tag tells tenant and stream apart, NUL included
  CHECK(layout(8, {9, 9}).alert_id("t", "s", 0x0102030405060708ULL) != id);
}

TEST_CASE("names of the shared objects") {
  const auto l = layout(8);
  CHECK(l.subject(3) == "anomstream.obs.3");
  CHECK(l.consumer(3) == "scorers-p3");
  CHECK(ClusterLayout::lease_key(3) == "p3");
  CHECK(l.meta_bucket() == "ANOMSTREAM-meta");
  CHECK(l.lease_bucket() == "scorers-leases");
  CHECK(l.state_bucket() == "scorers-state");
}

TEST_CASE("ingest.jetstream: off by default; names and the state directory are checked when on") {
  auto plain = load_config("", "default");
  REQUIRE(plain);
  CHECK(plain->jetstream.servers.empty());
  CHECK(plain->jetstream.partitions == 16);

  auto on = load_config("ingest:\n  jetstream:\n    servers: nats://127.0.0.1:4222\n    partitions: 4\n", "on.yaml");
  REQUIRE(on);
  CHECK(on->jetstream.partitions == 4);

  auto bad_names = load_config(
      "ingest:\n  jetstream:\n    servers: nats://x:4222\n    stream: \"a.b\"\n    group: \"g*\"\n"
      "    subject_prefix: \"a..b\"\n",
      "names.yaml");
  REQUIRE_FALSE(bad_names);
  const std::string names = bad_names.error().message();
  CHECK(names.find("ingest.jetstream.stream") != std::string::npos);
  CHECK(names.find("ingest.jetstream.group") != std::string::npos);
  CHECK(names.find("ingest.jetstream.subject_prefix") != std::string::npos);

  auto with_state =
      load_config("ingest:\n  jetstream:\n    servers: nats://x:4222\nstate:\n  dir: /tmp/x\n", "state.yaml");
  REQUIRE_FALSE(with_state);
  CHECK(with_state.error().message().find("state.dir") != std::string::npos);

  auto out_of_range = load_config("ingest:\n  jetstream:\n    partitions: 0\n", "p.yaml");
  REQUIRE_FALSE(out_of_range);
  CHECK(out_of_range.error().message().find("ingest.jetstream.partitions") != std::string::npos);
}
