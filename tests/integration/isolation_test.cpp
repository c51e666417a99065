// One client cannot hurt another, over the real daemon: widths per stream, a tenant's
// streams bounded by evicting its own, a flood of made-up tenant names refused at a
// rate while an established tenant keeps its model, one absurd value neither rejected
// silently nor blinding a stream, and a WatchAlerts client that never reads.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <optional>
#include <thread>

#include "anomstream/core/random.hpp"
#include "client.hpp"
#include "daemon_fixture.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
using anomstream::test::metric_sum;

namespace {

const std::string SMALL_FOREST = "pipeline:\n  forest:\n    num_trees: 50\n    sample_size: 64\n";

void add(anomstream::v1::ObservationBatch& batch, const std::string& tenant, const std::string& stream,
         std::int64_t t, const std::vector<double>& values) {
  auto* o = batch.add_observations();
  o->set_tenant(tenant);
  o->set_stream(stream);
  o->set_timestamp_ns(t);
  for (double v : values) o->add_values(v);
}

anomstream::v1::IngestSummary send(anomstream::v1::IngestService::Stub& stub,
                                   const anomstream::v1::ObservationBatch& batch) {
  grpc::ClientContext context;
  anomstream::v1::IngestSummary summary;
  const auto status = stub.ObserveBatch(&context, batch, &summary);
  REQUIRE_MESSAGE(status.ok(), status.error_message());
  return summary;
}

std::uint64_t rejected_for(const anomstream::v1::IngestSummary& summary, const std::string& reason) {
  const auto it = summary.rejected().find(reason);
  return it == summary.rejected().end() ? 0 : it->second;
}

// A periodic value of `dimension` features with a little noise, the same for every stream.
std::vector<double> periodic(std::int64_t t, std::size_t dimension) {
  anomstream::Xoshiro256 rng(100 + static_cast<std::uint64_t>(t));
  std::vector<double> values;
  for (std::size_t j = 0; j < dimension; ++j) {
    values.push_back(std::sin(2 * std::numbers::pi * static_cast<double>(t) / 30.0 + static_cast<double>(j)) +
                     0.05 * rng.uniform01());
  }
  return values;
}

// Sets an environment variable for one scope (the daemon started inside inherits it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("two streams of different widths in one tenant are both scored; a stream's width stays its own") {
  DaemonUnderTest daemon(SMALL_FOREST, "widths");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::v1::ObservationBatch batch;
  for (std::int64_t t = 0; t < 200; ++t) {
    add(batch, "t", "narrow", t, periodic(t, 2));
    add(batch, "t", "wide", t, periodic(t, 5));
  }
  auto summary = send(*stub, batch);
  CHECK(summary.accepted() == 400);
  CHECK(summary.rejected().empty());
  // A stream that changes width is refused, told to the client, and the other stays.
  anomstream::v1::ObservationBatch changed;
  add(changed, "t", "narrow", 200, periodic(200, 3));
  add(changed, "t", "wide", 200, periodic(200, 5));
  summary = send(*stub, changed);
  CHECK(summary.accepted() == 1);
  CHECK(rejected_for(summary, "dimension_mismatch") == 1);
  REQUIRE(summary.first_rejections_size() == 1);
  CHECK(summary.first_rejections(0).detail().find("t/narrow has dimension 2 (got 3)") != std::string::npos);
  REQUIRE(anomstream::test::poll_until([&] { return anomstream::test::accounting_holds(daemon.metrics(), 402); }));
  CHECK(daemon.metric("anomstream_worker_observations_scored_total") == 401);
  CHECK(daemon.metric("anomstream_ingest_observations_rejected_total", {{"reason", "no_capacity"}}) == 0);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a stream ingest forgot comes back at another width: accepted, and the worker scores it" * doctest::test_suite("concurrency")) {
  // Ingest remembers one width per shard of its registry (tenants.max_streams: 1), so
  // 2000 other streams make it forget "a" but for a chance of (63/64)^2000 < 1e-13; the
  // worker still holds "a" at its old width. Each tenant keeps 4 streams in memory.
  DaemonUnderTest daemon(SMALL_FOREST + "tenants:\n  max_streams: 1\n  max_streams_per_tenant: 4\n",
                         "forgotten-width");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::v1::ObservationBatch first;
  for (std::int64_t t = 0; t < 100; ++t) add(first, "t", "a", t, periodic(t, 3));
  for (int i = 0; i < 2000; ++i) add(first, "other", "s" + std::to_string(i), 0, periodic(0, 2));
  auto summary = send(*stub, first);
  CHECK(summary.accepted() == 2100);
  anomstream::v1::ObservationBatch wider;
  for (std::int64_t t = 100; t < 200; ++t) add(wider, "t", "a", t, periodic(t, 5));
  summary = send(*stub, wider);
  CHECK(summary.accepted() == 100);
  CHECK(summary.rejected().empty());
  REQUIRE(anomstream::test::poll_until([&] { return anomstream::test::accounting_holds(daemon.metrics(), 2200); }));
  // Everything the client was told was accepted is scored; nothing is refused later.
  CHECK(daemon.metric("anomstream_worker_observations_scored_total") == 2200);
  CHECK(daemon.metric("anomstream_ingest_observations_rejected_total") == 0);
  // "other" evicted 1996 of its own streams; "t" gave up the 3-wide "a".
  CHECK(daemon.metric("anomstream_tenant_streams_evicted_total") == 1997);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("5000 streams in one tenant: it evicts its own least recently used, other tenants keep theirs, RSS stays bounded") {
  // A sanitised daemon keeps freed memory in quarantine; keep that small so RSS shows
  // what the daemon holds.
  ScopedEnv asan("ASAN_OPTIONS", "quarantine_size_mb=1:detect_leaks=0");
  DaemonUnderTest daemon(SMALL_FOREST + "workers:\n  count: 1\ntenants:\n  max_streams_per_tenant: 100\n", "streams");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  const auto feed = [&](const std::string& tenant, int first, int last) {
    for (int begin = first; begin < last; begin += 250) {
      anomstream::v1::ObservationBatch batch;
      for (int s = begin; s < std::min(last, begin + 250); ++s) {
        for (std::int64_t t = 0; t < 8; ++t) add(batch, tenant, "s" + std::to_string(s), t, periodic(t + s, 4));
      }
      REQUIRE(send(*stub, batch).accepted() == static_cast<std::uint64_t>(batch.observations_size()));
    }
  };
  double sent = 0;
  const auto settle = [&](double observations) {
    sent += observations;
    REQUIRE(anomstream::test::poll_until([&] { return anomstream::test::accounting_holds(daemon.metrics(), sent); }));
  };
  const std::size_t at_start = anomstream::test::resident_bytes(daemon.pid());
  feed("other", 0, 50);
  feed("big", 0, 100);
  settle(150 * 8);
  const std::size_t at_bound = anomstream::test::resident_bytes(daemon.pid());
  CHECK(daemon.metric("anomstream_tenant_streams_evicted_total") == 0);
  feed("big", 100, 5000);
  settle(4900 * 8);
  const std::size_t after_flood = anomstream::test::resident_bytes(daemon.pid());
  // Only the big tenant's own streams were evicted: exactly those beyond its bound.
  CHECK(daemon.metric("anomstream_tenant_streams_evicted_total") == 4900);
  CHECK(daemon.metric("anomstream_ingest_observations_rejected_total") == 0);
  MESSAGE("RSS: start ", at_start >> 20, " MiB, 150 streams ", at_bound >> 20, " MiB, 5050 streams ",
          after_flood >> 20, " MiB");
  REQUIRE(at_bound > at_start);
  // 150 streams cost (at_bound - at_start), 28 MiB here; unbounded, 5050 would cost 33
  // times that. The 4900 extra stream names cost ingest's width registry and the
  // allocator some memory (4 MiB here), well under half the 150 streams' models.
  CHECK(after_flood < at_bound + (at_bound - at_start) / 2);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("10000 made-up tenant names are refused at the new-tenant rate; an established tenant keeps its model" * doctest::test_suite("concurrency")) {
  DaemonUnderTest daemon(SMALL_FOREST +
                             "workers:\n  count: 1\ntenants:\n  max_tenants: 64\n  new_per_second: 20\n"
                             "  new_burst: 20\n",
                         "names");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::v1::ObservationBatch warmup;
  for (std::int64_t t = 0; t < 300; ++t) add(warmup, "established", "s", t, periodic(t, 4));
  REQUIRE(send(*stub, warmup).accepted() == 300);
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t refused = 0;
  std::uint64_t admitted = 0;
  for (int begin = 0; begin < 10000; begin += 1000) {
    anomstream::v1::ObservationBatch flood;
    for (int n = begin; n < begin + 1000; ++n) add(flood, "made-up-" + std::to_string(n), "s", 0, periodic(n, 4));
    const auto summary = send(*stub, flood);
    refused += rejected_for(summary, "tenant_limit");
    admitted += summary.accepted();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("admitted ", admitted, " of 10000 new tenant names in ", seconds, " s");
  CHECK(refused + admitted == 10000);
  CHECK(static_cast<double>(admitted) <= 20 + 20 * seconds + 1);
  // The established tenant is still served from the model it built: never evicted.
  anomstream::v1::ObservationBatch later;
  for (std::int64_t t = 300; t < 350; ++t) add(later, "established", "s", t, periodic(t, 4));
  REQUIRE(send(*stub, later).accepted() == 50);
  REQUIRE(anomstream::test::poll_until([&] { return anomstream::test::accounting_holds(daemon.metrics(), 10350); }));
  const auto m = daemon.metrics();
  CHECK(metric_sum(m, "anomstream_pool_evictions_total") == 0);
  CHECK(metric_sum(m, "anomstream_tenants_live") == static_cast<double>(1 + admitted));
  CHECK(metric_sum(m, "anomstream_ingest_observations_rejected_total", {{"reason", "tenant_limit"}}) ==
        static_cast<double>(refused));
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("one 1e30: refused out_of_range by default; admitted, it enters clipped and later spikes still alert") {
  SUBCASE("the default bound refuses it, naming the field and the bound") {
    DaemonUnderTest daemon(SMALL_FOREST, "poison-refused");
    auto stub = anomstream::tools::make_stub(daemon.grpc_target());
    anomstream::v1::ObservationBatch batch;
    add(batch, "t", "s", 0, {1.0, 1e30, 2.0});
    const auto summary = send(*stub, batch);
    CHECK(rejected_for(summary, "out_of_range") == 1);
    REQUIRE(summary.first_rejections_size() == 1);
    CHECK(summary.first_rejections(0).detail().find("values[1]") != std::string::npos);
    CHECK(summary.first_rejections(0).detail().find("ingest.max_abs_value (1e+15)") != std::string::npos);
    CHECK(daemon.metric("anomstream_ingest_observations_rejected_total", {{"reason", "out_of_range"}}) == 1);
    CHECK(daemon.stop().exit_code == 0);
  }
  SUBCASE("admitted during warm-up, the stream still catches the spikes its control stream catches") {
    // The daemon's default forest (100 trees of 256, scores from update 64); the 1e30
    // arrives at step 40, before the threshold could flag it.
    DaemonUnderTest daemon("ingest:\n  max_abs_value: 1.0e300\nworkers:\n  count: 1\n"
                           "sinks:\n  json_lines: \"{dir}/alerts.jsonl\"\n",
                           "poison");
    auto stub = anomstream::tools::make_stub(daemon.grpc_target());
    const auto is_spike = [](std::int64_t t) { return t >= 400 && t < 900 && t % 100 == 0; };
    anomstream::v1::ObservationBatch batch;
    for (std::int64_t t = 0; t < 1000; ++t) {
      auto values = periodic(t, 4);
      if (is_spike(t)) values[1] += 8.0;
      add(batch, "t", "control", t, values);
      if (t == 40) values[1] = 1e30;
      add(batch, "t", "poisoned", t, values);
    }
    REQUIRE(send(*stub, batch).accepted() == 2000);
    REQUIRE(anomstream::test::poll_until([&] { return anomstream::test::accounting_holds(daemon.metrics(), 2000); }));
    CHECK(daemon.metric("anomstream_pipeline_values_clipped_total") >= 1);
    REQUIRE(daemon.stop().exit_code == 0);
    std::map<std::string, int> spikes;
    std::map<std::string, int> others;
    for (const auto& line : anomstream::test::read_lines(daemon.dir() + "/alerts.jsonl")) {
      const auto at = line.find("\"timestamp_ns\":");
      REQUIRE(at != std::string::npos);
      const std::int64_t t = std::stoll(line.substr(at + 15));
      const std::string stream = line.find("\"stream\":\"poisoned\"") != std::string::npos ? "poisoned" : "control";
      (is_spike(t) ? spikes : others)[stream] += 1;
    }
    MESSAGE("spike alerts: poisoned ", spikes["poisoned"], ", control ", spikes["control"], "; other alerts: poisoned ",
            others["poisoned"], ", control ", others["control"]);
    CHECK(spikes["control"] == 5);
    CHECK(spikes["poisoned"] >= 4);
    CHECK(others["poisoned"] <= others["control"] + 2);
  }
}

TEST_CASE("a WatchAlerts client that never reads loses alerts alone; scoring, the sinks and other watchers do not wait" * doctest::test_suite("concurrency")) {
  // Nearly every observation alerts. The silent client's channel keeps HTTP/2's initial
  // 64 KiB window (no bandwidth probing), so its window and its buffer of 128 fill early;
  // the reading client's buffer holds a whole burst (at most 100 alerts).
  DaemonUnderTest daemon(SMALL_FOREST +
                             "workers:\n  count: 1\nsinks:\n  json_lines: \"{dir}/alerts.jsonl\"\n  watch:\n"
                             "    max_subscribers: 2\n    queue_capacity: 128\n"
                             "pipeline:\n  threshold:\n    z_factor: 0.5\n    min_score: 0\n"
                             "  severity_thresholds: [0.001, 0.002, 0.003, 0.004]\n",
                         "silent-watcher");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  grpc::ChannelArguments silent_args;
  silent_args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto silent_stub = anomstream::v1::IngestService::NewStub(
      grpc::CreateCustomChannel(daemon.grpc_target(), grpc::InsecureChannelCredentials(), silent_args));
  grpc::ClientContext silent_context;
  auto silent = silent_stub->WatchAlerts(&silent_context, anomstream::v1::WatchAlertsRequest());
  silent->WaitForInitialMetadata();
  grpc::ClientContext reader_context;
  auto reader = stub->WatchAlerts(&reader_context, anomstream::v1::WatchAlertsRequest());
  reader->WaitForInitialMetadata();
  std::atomic<std::uint64_t> read = 0;
  std::atomic<std::uint64_t> told_lost = 0;
  std::thread reading([&] {
    anomstream::v1::Alert alert;
    while (reader->Read(&alert)) {
      told_lost += alert.watch_dropped_before();
      ++read;
    }
  });
  // Ends the reading thread on every way out of the test.
  const std::unique_ptr<std::thread, void (*)(std::thread*)> join_reader(&reading, [](std::thread* thread) {
    if (thread->joinable()) thread->join();
  });
  const std::unique_ptr<grpc::ClientContext, void (*)(grpc::ClientContext*)> cancel_reader(
      &reader_context, [](grpc::ClientContext* context) { context->TryCancel(); });
  // A third watcher is one too many.
  {
    grpc::ClientContext context;
    auto third = stub->WatchAlerts(&context, anomstream::v1::WatchAlertsRequest());
    anomstream::v1::Alert alert;
    CHECK_FALSE(third->Read(&alert));
    const auto status = third->Finish();
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK(status.error_message().find("sinks.watch.max_subscribers") != std::string::npos);
  }
  anomstream::Xoshiro256 rng(9);
  constexpr int TOTAL = 6000;
  for (int begin = 0; begin < TOTAL; begin += 100) {
    anomstream::v1::ObservationBatch batch;
    for (int t = begin; t < begin + 100; ++t) {
      add(batch, "t", "s", t, {rng.uniform01(), rng.uniform01(), rng.uniform01(), rng.uniform01()});
    }
    REQUIRE(send(*stub, batch).accepted() == 100);
    REQUIRE(anomstream::test::poll_until([&] {
      const auto m = daemon.metrics();
      return anomstream::test::accounting_holds(m, begin + 100) &&
             static_cast<double>(read.load()) == metric_sum(m, "anomstream_alerts_total");
    }, 10s));
  }
  const double alerts = daemon.metric("anomstream_alerts_total");
  MESSAGE(alerts, " alerts raised");
  REQUIRE(alerts > 2000);
  // The reading watcher and the file got every alert; the silent one lost alerts, counted for it.
  CHECK(told_lost.load() == 0);
  CHECK(anomstream::test::read_lines(daemon.dir() + "/alerts.jsonl").size() == alerts);
  CHECK(daemon.metric("anomstream_sink_alerts_dropped_total") == 0);
  grpc::ClientContext status_context;
  anomstream::v1::StatusReply status;
  REQUIRE(stub->GetStatus(&status_context, anomstream::v1::StatusRequest(), &status).ok());
  REQUIRE(status.watchers_size() == 2);
  const bool first_is_slow = status.watchers(0).delivered() < status.watchers(1).delivered();
  const auto& slow = status.watchers(first_is_slow ? 0 : 1);
  const auto& fast = status.watchers(first_is_slow ? 1 : 0);
  MESSAGE("silent watcher: delivered ", slow.delivered(), ", queued ", slow.queued(), ", dropped ", slow.dropped());
  CHECK(slow.dropped() > 0);
  CHECK(slow.queued() == 128);
  // Every alert is delivered, buffered, lost, or the one write the silent client blocks.
  const auto accounted = slow.delivered() + slow.queued() + slow.dropped();
  CHECK(accounted >= static_cast<std::uint64_t>(alerts) - 1);
  CHECK(accounted <= static_cast<std::uint64_t>(alerts));
  CHECK(fast.dropped() == 0);
  CHECK(fast.delivered() == static_cast<std::uint64_t>(alerts));
  CHECK(daemon.metric("anomstream_sink_watch_alerts_dropped_total") == static_cast<double>(slow.dropped()));
  CHECK(status.alerts() == static_cast<std::uint64_t>(alerts));
  // The stop does not wait for the client that never reads.
  const auto result = daemon.stop();
  CHECK(result.exit_code == 0);
  reading.join();
  silent_context.TryCancel();
}
