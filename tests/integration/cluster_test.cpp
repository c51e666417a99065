// Scale-out through NATS JetStream (docs/scale-out.md): three instances share the
// partitions of one stream; every observation admitted by one of them is scored by the
// partition's owner; a kill -9 hands the dead instance's partitions to the others. The
// instances' ledgers and alerts are then held against a single instance that scored the
// whole stream alone. Also: an outage of the server, and a server that is never there.
// Needs nats-server (PATH or /usr/sbin): skipped without it, failed when
// ANOMSTREAM_REQUIRE_NATS=1.

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <csignal>
#include <set>

#include "client.hpp"
#include "cluster/jetstream.hpp"
#include "cluster_records.hpp"
#include "cluster_status.hpp"
#include "daemon_fixture.hpp"
#include "nats_server.hpp"
#include "traffic_generator.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
using anomstream::test::NatsServer;
using anomstream::test::poll_until;
using anomstream::tools::ClusterStatus;

namespace {

constexpr std::uint32_t PARTITIONS = 8;
constexpr std::uint64_t OBSERVATIONS = 30000;
constexpr std::uint64_t KILL_AFTER = OBSERVATIONS / 3;
constexpr int BATCH = 500;
// Each look at a group's status is a connection and two requests per partition.
constexpr auto STATUS_POLL = std::chrono::milliseconds(250);

// One instance of `group`: ledger and alerts in its own directory. `jetstream_extra`
// adds keys to ingest.jetstream (each line indented by four spaces).
std::string instance_yaml(const std::string& servers, const std::string& group, const std::string& instance,
                          const std::string& jetstream_extra = "    snapshot_every: 300\n") {
  return fmt::format(
      "ingest:\n  jetstream:\n    servers: \"{}\"\n    group: {}\n    instance: {}\n    partitions: {}\n"
      "    lease_ttl_ms: 2000\n    ledger: \"{{dir}}/ledger.jsonl\"\n{}"
      "sinks:\n  json_lines: \"{{dir}}/alerts.jsonl\"\n",
      servers, group, instance, PARTITIONS, jetstream_extra);
}

// The group's status; nullopt until the stream and the group's buckets exist.
std::optional<ClusterStatus> group_status(const NatsServer& nats, const std::string& group) {
  auto status = anomstream::tools::read_cluster_status({.servers = nats.url(), .group = group});
  return status ? std::optional<ClusterStatus>(std::move(*status)) : std::nullopt;
}

// Every partition owned, each by one of `owners`, and each of those owning some.
bool owned_by(const std::optional<ClusterStatus>& status, const std::set<std::string>& owners) {
  if (!status || status->partitions.size() != PARTITIONS) return false;
  for (const auto& p : status->partitions) {
    if (!owners.contains(p.owner)) return false;
  }
  for (const auto& owner : owners) {
    if (status->owned_by(owner) == 0) return false;
  }
  return true;
}

std::string describe(const std::optional<ClusterStatus>& status) {
  return status ? anomstream::tools::to_text(*status) : std::string("(no status)");
}

// The scored messages the daemons' ledgers hold, counted without parsing them.
std::uint64_t scored_records(std::initializer_list<const DaemonUnderTest*> daemons) {
  std::uint64_t count = 0;
  for (const DaemonUnderTest* d : daemons) {
    for (const auto& line : anomstream::test::read_lines(d->dir() + "/ledger.jsonl")) {
      if (line.find("\"kind\":\"scored\"") != std::string::npos) ++count;
    }
  }
  return count;
}

// Every alert the daemon raised is in its sink file.
bool sink_flushed(const DaemonUnderTest& daemon) {
  return static_cast<double>(anomstream::test::read_lines(daemon.dir() + "/alerts.jsonl").size()) ==
         daemon.metric("anomstream_alerts_total");
}

template <typename T>
std::string first_of(const std::vector<T>& problems, std::size_t n = 10) {
  std::string out = fmt::format("{} problem(s)", problems.size());
  for (std::size_t i = 0; i < std::min(n, problems.size()); ++i) out += fmt::format("\n  {}", problems[i]);
  return out;
}

anomstream::v1::IngestSummary send(anomstream::v1::IngestService::Stub& stub,
                                   anomstream::tools::TrafficGenerator& generator, int count) {
  anomstream::v1::ObservationBatch batch;
  for (int i = 0; i < count; ++i) anomstream::tools::to_wire(generator.next(), *batch.add_observations());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 60s);
  anomstream::v1::IngestSummary summary;
  const auto status = stub.ObserveBatch(&context, batch, &summary);
  REQUIRE_MESSAGE(status.ok(), status.error_message());
  return summary;
}

std::string rejections(const anomstream::v1::IngestSummary& summary) {
  std::string out;
  for (const auto& [reason, count] : summary.rejected()) out += fmt::format(" {}={}", reason, count);
  if (summary.first_rejections_size() > 0) out += ", first: " + summary.first_rejections(0).ShortDebugString();
  return out;
}

// Writes `value` under `key` in the KV bucket `bucket`, or deletes the key (nullopt): an
// operator's or a fault's hand on the group's stored state.
natsStatus kv_write(const NatsServer& nats, const std::string& bucket, const std::string& key,
                    const std::optional<std::string>& value) {
  anomstream::daemon::DaemonConfig::JetStream config;
  config.servers = nats.url();
  auto link = anomstream::daemon::connect_jetstream(config);
  if (!link) return NATS_NO_SERVER;
  kvStore* raw = nullptr;
  const natsStatus s = js_KeyValue(&raw, link->js.get(), bucket.c_str());
  const anomstream::daemon::KvStore kv(raw);
  if (s != NATS_OK) return s;
  return value ? kvStore_Put(nullptr, kv.get(), key.c_str(), value->data(), static_cast<int>(value->size()))
               : kvStore_Delete(kv.get(), key.c_str());
}

}  // namespace

TEST_CASE("three instances score every observation, a kill -9 hands partitions over, and the alerts equal a single "
          "instance's" * doctest::test_suite("cluster")) {
  const auto binary = anomstream::test::nats_server_or_skip();
  if (!binary) return;
  NatsServer nats(*binary);
  DaemonUnderTest a(instance_yaml(nats.url(), "scorers", "a"), "a");
  DaemonUnderTest b(instance_yaml(nats.url(), "scorers", "b"), "b");
  DaemonUnderTest c(instance_yaml(nats.url(), "scorers", "c"), "c");
  {
    const bool spread =
        poll_until([&] { return owned_by(group_status(nats, "scorers"), {"a", "b", "c"}); }, 30s, STATUS_POLL);
    REQUIRE_MESSAGE(spread, describe(group_status(nats, "scorers")));
  }

  // The synthetic traffic over 24 tenants, all through instance a; c dies a third of the way.
  anomstream::tools::TrafficGenerator generator(
      {.seed = 11, .tenants = 24, .streams_per_tenant = 2, .anomaly_rate = 0.01, .warmup_steps = 200});
  auto stub = anomstream::tools::make_stub(a.grpc_target());
  std::uint64_t accepted = 0;
  std::int64_t killed_ns = 0;
  for (std::uint64_t sent = 0; sent < OBSERVATIONS; sent += BATCH) {
    if (sent == KILL_AFTER) {
      killed_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
      c.kill();
    }
    const auto summary = send(*stub, generator, BATCH);
    if (summary.accepted() != BATCH && accepted == sent) {  // the first batch short, with the reasons
      FAIL_CHECK("batch at " << sent << ": accepted " << summary.accepted() << ", rejected" << rejections(summary));
    }
    accepted += summary.accepted();
  }
  CHECK(accepted == OBSERVATIONS);

  // a and b take over c's partitions and drain every consumer. The consumers are looked
  // at only once the ledgers hold every message: on nats-server 2.9 a consumer's info
  // request cuts short the pull requests waiting on it, which slows the scorers down.
  const auto drained = [&](const std::string& group, const std::set<std::string>& owners,
                           std::initializer_list<const DaemonUnderTest*> scorers) {
    if (scored_records(scorers) < OBSERVATIONS) return false;
    const auto status = group_status(nats, group);
    return owned_by(status, owners) && status->drained() && status->last_sequence == OBSERVATIONS;
  };
  {
    const bool done = poll_until([&] { return drained("scorers", {"a", "b"}, {&a, &b, &c}); }, 60s, STATUS_POLL);
    REQUIRE_MESSAGE(done, describe(group_status(nats, "scorers")));
  }
  // The reference: one instance of its own group scores the whole stream from the start.
  DaemonUnderTest ref(instance_yaml(nats.url(), "reference", "ref", "    snapshot_every: 100000000\n"), "ref");
  {
    const bool done = poll_until([&] { return drained("reference", {"ref"}, {&ref}); }, 60s, STATUS_POLL);
    REQUIRE_MESSAGE(done, describe(group_status(nats, "reference")));
  }
  for (const DaemonUnderTest* d : {&a, &b, &ref}) CHECK(poll_until([&] { return sink_flushed(*d); }, 10s));

  // The command a script would poll says the same.
  const auto cli = anomstream::test::run_process(
      {anomstream::test::ctl_path(), "cluster", "status", "--servers", nats.url(), "--group", "scorers", "--json"});
  REQUIRE_MESSAGE(cli.exit_code == 0, cli.err);
  const YAML::Node json = YAML::Load(cli.out);
  CHECK(json["drained"].as<bool>());
  CHECK(json["partitions"].size() == PARTITIONS);
  CHECK(json["last_sequence"].as<std::uint64_t>() == OBSERVATIONS);

  // The ledgers: every message scored, duplicates only as redeliveries or replays.
  using anomstream::test::read_ledger;
  const auto ledger_a = read_ledger(a.dir() + "/ledger.jsonl");
  const auto ledger_b = read_ledger(b.dir() + "/ledger.jsonl");
  const auto ledger_c = read_ledger(c.dir() + "/ledger.jsonl");
  const auto ledger_ref = read_ledger(ref.dir() + "/ledger.jsonl");
  std::vector<anomstream::test::ScoredRecord> scored;
  std::vector<anomstream::test::LeaseRecord> leases;
  for (const auto* ledger : {&ledger_a, &ledger_b, &ledger_c}) {
    scored.insert(scored.end(), ledger->scored.begin(), ledger->scored.end());
    leases.insert(leases.end(), ledger->leases.begin(), ledger->leases.end());
  }
  const auto redelivered = anomstream::test::redelivered(scored);
  const auto replays = std::ranges::count_if(scored, [](const auto& r) { return r.replay; });
  MESSAGE("scored by a ", ledger_a.scored.size(), ", b ", ledger_b.scored.size(), ", c ", ledger_c.scored.size(),
          " (", ledger_c.unreadable, " torn line(s)), ref ", ledger_ref.scored.size(), "; redelivered ",
          redelivered.size(), ", replayed ", replays);
  CHECK(ledger_a.unreadable + ledger_b.unreadable + ledger_ref.unreadable == 0);
  CHECK(!ledger_c.scored.empty());
  const auto unscored = anomstream::test::unscored(scored, OBSERVATIONS);
  CHECK_MESSAGE(unscored.empty(), "never scored: " << first_of(unscored));
  const auto duplicates = anomstream::test::unexplained_duplicates(scored);
  CHECK_MESSAGE(duplicates.empty(), first_of(duplicates));
  const auto reference_unscored = anomstream::test::unscored(ledger_ref.scored, OBSERVATIONS);
  CHECK_MESSAGE(reference_unscored.empty(), "never scored by the reference: " << first_of(reference_unscored));

  // The survivors' metrics count what their ledgers record.
  CHECK(a.metric("anomstream_cluster_partition_owned") + b.metric("anomstream_cluster_partition_owned") == PARTITIONS);
  for (const auto& [daemon, ledger] : {std::pair{&a, &ledger_a}, std::pair{&b, &ledger_b}}) {
    const auto again = std::ranges::count_if(ledger->scored, [](const auto& r) { return r.replay || r.redelivered; });
    CHECK(daemon->metric("anomstream_cluster_messages_total") == static_cast<double>(ledger->scored.size()));
    CHECK(daemon->metric("anomstream_cluster_redeliveries_total") == static_cast<double>(again));
  }

  // Leases: revisions only grow, and c's partitions were claimed by a and b after the kill.
  const auto lease_problems = anomstream::test::lease_order_problems(leases);
  CHECK_MESSAGE(lease_problems.empty(), first_of(lease_problems));
  std::set<std::uint32_t> held_by_c, claimed_after_kill;
  for (const auto& r : ledger_c.leases) held_by_c.insert(r.partition);
  for (const auto& r : leases) {
    if (r.action == "claim" && r.instance != "c" && r.ns > killed_ns) claimed_after_kill.insert(r.partition);
  }
  CHECK(!held_by_c.empty());
  for (const auto p : held_by_c) CHECK_MESSAGE(claimed_after_kill.contains(p), "c's partition " << p);

  // Alerts: the same ids as the reference's, with its scores.
  std::vector<anomstream::tools::AlertSighting> alerts;
  for (const DaemonUnderTest* d : {&a, &b, &c}) {
    const auto more = anomstream::test::read_alerts(d->dir() + "/alerts.jsonl");
    alerts.insert(alerts.end(), more.begin(), more.end());
  }
  const auto reference_alerts = anomstream::test::read_alerts(ref.dir() + "/alerts.jsonl");
  MESSAGE("alerts: a+b+c ", alerts.size(), ", reference ", reference_alerts.size());
  CHECK(reference_alerts.size() >= 20);
  const auto alert_problems = anomstream::test::alert_problems(alerts, reference_alerts, redelivered);
  CHECK_MESSAGE(alert_problems.empty(), first_of(alert_problems));
}

TEST_CASE("a torn hand-off snapshot is refused and counted: its partition waits, the others go on, and without "
          "the manifest it starts afresh" * doctest::test_suite("cluster")) {
  const auto binary = anomstream::test::nats_server_or_skip();
  if (!binary) return;
  NatsServer nats(*binary);
  anomstream::tools::TrafficGenerator generator(
      {.seed = 5, .tenants = 16, .streams_per_tenant = 1, .anomaly_rate = 0.01, .warmup_steps = 100});
  const std::string extra = "    snapshot_every: 100\n";
  std::uint64_t accepted = 0;
  {
    DaemonUnderTest a(instance_yaml(nats.url(), "torn", "a", extra), "torn-a");
    REQUIRE(poll_until([&] { return owned_by(group_status(nats, "torn"), {"a"}); }, 30s, STATUS_POLL));
    auto stub = anomstream::tools::make_stub(a.grpc_target());
    for (int i = 0; i < 4; ++i) accepted += send(*stub, generator, BATCH).accepted();
    REQUIRE(accepted == 4 * BATCH);
    REQUIRE(poll_until([&] { return scored_records({&a}) == accepted; }, 60s));
    CHECK(a.stop().exit_code == 0);  // each partition's final snapshot, then its lease released
  }
  const auto before = group_status(nats, "torn");
  REQUIRE(before);
  std::optional<std::uint32_t> torn;
  std::uint64_t generation = 0;
  for (const auto& p : before->partitions) {
    if (p.snapshot_sequence && *p.snapshot_sequence > 0) {
      torn = p.partition;
      generation = p.snapshot_generation;
      break;
    }
  }
  REQUIRE_MESSAGE(torn, describe(before));
  // The first chunk cut short: the manifest's length and digest no longer match.
  REQUIRE(kv_write(nats, "torn-state", fmt::format("p{}.{}.0", *torn, generation), std::string("torn")) == NATS_OK);

  DaemonUnderTest b(instance_yaml(nats.url(), "torn", "b", extra), "torn-b");
  CHECK(b.wait_for_output(fmt::format("event=partition_snapshot_bad partition={} ", *torn), 30s));
  auto stub = anomstream::tools::make_stub(b.grpc_target());
  for (int i = 0; i < 4; ++i) accepted += send(*stub, generator, BATCH).accepted();
  REQUIRE(accepted == 8 * BATCH);
  // Every other partition is scored to the end; the torn one's new messages wait.
  const auto others_done = [&](const ClusterStatus& s) {
    return std::ranges::all_of(s.partitions, [&](const auto& p) {
      return p.partition == *torn || (p.owner == "b" && p.consumer && p.pending == 0 && p.ack_pending == 0);
    });
  };
  REQUIRE(poll_until([&] { auto s = group_status(nats, "torn"); return s && others_done(*s); }, 60s, STATUS_POLL));
  const auto waiting = group_status(nats, "torn");
  REQUIRE(waiting);
  CHECK_MESSAGE(waiting->partitions[*torn].pending > 0, describe(waiting));
  CHECK(b.metric("anomstream_cluster_errors_total") >= 1);
  CHECK(b.metric("anomstream_cluster_snapshot_bytes", {{"partition", std::to_string(*torn)}}) == 0);

  // The operator deletes the manifest: at the next lease expiry b claims the partition
  // with no snapshot, rebuilds it from the stream's first message, and drains it.
  REQUIRE(kv_write(nats, "torn-state", fmt::format("p{}", *torn), std::nullopt) == NATS_OK);
  const bool drained = poll_until([&] {
    auto s = group_status(nats, "torn");
    return s && s->drained();
  }, 60s, STATUS_POLL);
  CHECK_MESSAGE(drained, describe(group_status(nats, "torn")));
  CHECK(b.stop().exit_code == 0);
}

TEST_CASE("with the NATS server down, ingest rejects every observation as publish_failed and recovers with it" *
          doctest::test_suite("cluster")) {
  const auto binary = anomstream::test::nats_server_or_skip();
  if (!binary) return;
  NatsServer nats(*binary);
  DaemonUnderTest daemon(instance_yaml(nats.url(), "scorers", "solo", "    publish_timeout_ms: 300\n"), "solo");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::tools::TrafficGenerator generator({.seed = 5, .tenants = 2, .streams_per_tenant = 1});
  REQUIRE(send(*stub, generator, 8).accepted() == 8);

  nats.kill();
  const auto refused = send(*stub, generator, 8);
  CHECK(refused.received() == 8);
  CHECK(refused.accepted() == 0);
  CHECK_MESSAGE(refused.rejected().count("publish_failed") == 1, "rejected" << rejections(refused));
  if (refused.rejected().count("publish_failed") == 1) CHECK(refused.rejected().at("publish_failed") == 8);
  CHECK(poll_until([&] {
    return daemon.metric("anomstream_ingest_observations_rejected_total", {{"reason", "publish_failed"}}) == 8;
  }));
  CHECK(::kill(daemon.pid(), 0) == 0);
  const auto status = anomstream::test::run_process(
      {anomstream::test::ctl_path(), "cluster", "status", "--servers", nats.url(), "--timeout-ms", "500"});
  CHECK(status.exit_code == 2);
  CHECK_MESSAGE(status.err.find("cannot connect") != std::string::npos, status.err);

  nats.start();
  CHECK(poll_until([&] { return send(*stub, generator, 8).accepted() == 8; }, 30s));
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a daemon whose NATS servers cannot be reached does not start, and names ingest.jetstream.servers" *
          doctest::test_suite("cluster")) {
  const std::string servers = "nats://127.0.0.1:" + std::to_string(anomstream::test::free_port());
  DaemonUnderTest daemon(instance_yaml(servers, "scorers", "lonely"), "lonely", false);
  const auto result =
      anomstream::test::run_process({anomstream::test::daemon_path(), "--config", daemon.config_path()}, 30s);
  CHECK_FALSE(result.timed_out);
  CHECK(result.exit_code != 0);
  CHECK_MESSAGE((result.err + result.out).find("ingest.jetstream.servers") != std::string::npos,
                result.err << result.out);
  CHECK((result.err + result.out).find("event=ready") == std::string::npos);
}

TEST_CASE("the record checks flag an unexplained duplicate, a claim below an earlier revision and a changed score" *
          doctest::test_suite("cluster")) {
  using anomstream::test::LeaseRecord;
  using anomstream::test::ScoredRecord;
  const std::vector<ScoredRecord> scored = {
      {.instance = "a", .partition = 1, .seq = 1, .delivered = 1, .tenant = "t"},
      {.instance = "b", .partition = 1, .seq = 1, .delivered = 2, .redelivered = true, .tenant = "t"},  // redelivered
      {.instance = "b", .partition = 1, .seq = 2, .delivered = 1, .tenant = "t"},
      {.instance = "a", .partition = 1, .seq = 2, .delivered = 1, .replay = true, .tenant = "t"},  // a replay
      {.instance = "a", .partition = 1, .seq = 3, .delivered = 1, .tenant = "t"},
      {.instance = "b", .partition = 1, .seq = 3, .delivered = 1, .tenant = "t"},  // scored twice, first delivery both
  };
  CHECK(anomstream::test::unscored(scored, 4) == std::vector<std::uint64_t>{4});
  const auto duplicates = anomstream::test::unexplained_duplicates(scored);
  REQUIRE(duplicates.size() == 1);
  CHECK(duplicates[0].starts_with("sequence 3 "));

  const std::vector<LeaseRecord> leases = {
      {.instance = "a", .partition = 0, .action = "claim", .revision = 3, .ns = 10},
      {.instance = "a", .partition = 0, .action = "renew", .revision = 5, .ns = 20},
      {.instance = "b", .partition = 0, .action = "claim", .revision = 4, .ns = 30},  // below a's renewal
      {.instance = "b", .partition = 0, .action = "renew", .revision = 4, .ns = 40},  // does not rise
      {.instance = "c", .partition = 1, .action = "claim", .revision = 2, .ns = 10},
      {.instance = "c", .partition = 1, .action = "lost", .revision = 2, .ns = 50},
      {.instance = "a", .partition = 1, .action = "claim", .revision = 6, .ns = 60},
  };
  CHECK(anomstream::test::lease_order_problems(leases).size() == 2);

  const auto alert = [](std::string id, double score) {
    anomstream::tools::AlertSighting a;
    a.tenant = "t";
    a.alert_id = std::move(id);
    a.score = score;
    return a;
  };
  const std::string first = "t/0000000000000001" + std::string(16, 'a');
  const std::string second = "t/0000000000000002" + std::string(16, 'b');
  const std::string third = "t/0000000000000003" + std::string(16, 'c');
  CHECK(anomstream::test::alert_sequence(second) == 2);
  const auto reference = std::vector{alert(first, 1.5), alert(second, 2.5), alert(third, 3.5)};
  CHECK(anomstream::test::alert_problems(reference, reference, {}).empty());
  // The first raised twice after a redelivery is fine; the second twice without one, the
  // third with another score, and a missing one are not.
  const auto cluster = std::vector{alert(first, 1.5), alert(first, 1.5), alert(second, 2.5), alert(second, 2.5),
                                   alert(third, 3.5000000001)};
  CHECK(anomstream::test::alert_problems(cluster, reference, {1}).size() == 2);
  CHECK(anomstream::test::alert_problems({alert(first, 1.5)}, reference, {}).size() == 2);
}
