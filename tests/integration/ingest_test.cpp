// The real anomstreamd on loopback: gRPC and UDP ingest, the accounting identity in
// /metrics, promtool's check of the exposition, and bad input counted by reason.

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <thread>
#include <limits>

#include "client.hpp"
#include "daemon_fixture.hpp"
#include "traffic_generator.hpp"

using namespace std::chrono_literals;
using anomstream::test::DaemonUnderTest;
using anomstream::test::metric_sum;
using anomstream::test::parse_metrics;

namespace {

std::map<std::string, double> scrape(const DaemonUnderTest& d) { return d.metrics(); }

using anomstream::test::accounting_holds;

anomstream::v1::ObservationBatch synthetic_batch(anomstream::tools::TrafficGenerator& generator, int n) {
  anomstream::v1::ObservationBatch batch;
  for (int i = 0; i < n; ++i) anomstream::tools::to_wire(generator.next(), *batch.add_observations());
  return batch;
}

const std::string SMALL_FOREST = "pipeline:\n  forest:\n    num_trees: 50\n    sample_size: 64\n";

}  // namespace

TEST_CASE("gRPC ingest of thousands of observations is accounted for exactly") {
  DaemonUnderTest daemon(SMALL_FOREST, "grpc");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::tools::TrafficGenerator generator({.seed = 7, .tenants = 3, .streams_per_tenant = 2});
  std::uint64_t accepted = 0;
  for (int b = 0; b < 40; ++b) {
    grpc::ClientContext context;
    anomstream::v1::IngestSummary summary;
    const auto batch = synthetic_batch(generator, 100);
    REQUIRE(stub->ObserveBatch(&context, batch, &summary).ok());
    CHECK(summary.received() == 100);
    CHECK(summary.received() == summary.accepted() + summary.dropped() + summary.rate_capped());
    accepted += summary.accepted();
  }
  // The client-streaming call accounts for its whole stream in one reply.
  {
    grpc::ClientContext context;
    anomstream::v1::IngestSummary summary;
    auto writer = stub->Observe(&context, &summary);
    anomstream::v1::Observation o;
    for (int i = 0; i < 1000; ++i) {
      anomstream::tools::to_wire(generator.next(), o);
      REQUIRE(writer->Write(o));
    }
    writer->WritesDone();
    REQUIRE(writer->Finish().ok());
    CHECK(summary.received() == 1000);
    accepted += summary.accepted();
  }
  CHECK(accepted == 5000);
  CHECK(anomstream::test::poll_until([&] { return accounting_holds(scrape(daemon), 5000); }));
  const auto m = scrape(daemon);
  CHECK(m.at("anomstream_ingest_observations_received_total{transport=\"grpc\"}") == 5000);
  CHECK(metric_sum(m, "anomstream_worker_observations_scored_total") == 5000);
  CHECK(m.at("anomstream_tenants_live") == 3);
  auto result = daemon.stop();
  CHECK(result.exit_code == 0);
}

TEST_CASE("UDP ingest of thousands of observations is accounted for exactly") {
  DaemonUnderTest daemon(SMALL_FOREST, "udp");
  anomstream::tools::TrafficGenerator generator({.seed = 8, .tenants = 2, .streams_per_tenant = 2});
  for (int d = 0; d < 100; ++d) {
    std::string datagram;
    synthetic_batch(generator, 40).SerializeToString(&datagram);
    anomstream::test::send_udp(daemon.udp_port(), datagram);
    if (d % 10 == 9) std::this_thread::sleep_for(1ms);  // stay inside the socket buffer
  }
  CHECK(anomstream::test::poll_until([&] { return accounting_holds(scrape(daemon), 4000); }));
  const auto m = scrape(daemon);
  CHECK(m.at("anomstream_ingest_observations_received_total{transport=\"udp\"}") == 4000);
  CHECK(metric_sum(m, "anomstream_worker_observations_scored_total") == 4000);
}

TEST_CASE("bad input is rejected with a reason, counted, and the daemon stays up") {
  DaemonUnderTest daemon(SMALL_FOREST + "ingest:\n  max_batch: 100\n  max_dimension: 16\n", "bad");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  auto call = [&](const anomstream::v1::ObservationBatch& batch, anomstream::v1::IngestSummary& summary) {
    grpc::ClientContext context;
    return stub->ObserveBatch(&context, batch, &summary);
  };
  auto observation = [](const std::string& tenant, std::vector<double> values) {
    anomstream::v1::Observation o;
    o.set_tenant(tenant);
    o.set_stream("s");
    for (double v : values) o.add_values(v);
    return o;
  };

  anomstream::v1::ObservationBatch batch;
  *batch.add_observations() = observation("t", {1, 2, 3});                    // establishes dimension 3
  *batch.add_observations() = observation("t", {1, 2});                       // wrong dimension
  *batch.add_observations() = observation("t", {1, std::nan(""), 3});         // NaN
  *batch.add_observations() = observation("t", {1, std::numeric_limits<double>::infinity(), 3});
  *batch.add_observations() = observation("", {1, 2, 3});                     // no tenant
  *batch.add_observations() = observation("t", {});                           // no values
  *batch.add_observations() = observation("u", std::vector<double>(17, 1.0)); // beyond max_dimension
  anomstream::v1::IngestSummary summary;
  REQUIRE(call(batch, summary).ok());
  CHECK(summary.received() == 7);
  CHECK(summary.accepted() == 1);
  CHECK(summary.rejected().at("dimension_mismatch") == 1);
  CHECK(summary.rejected().at("non_finite") == 2);
  CHECK(summary.rejected().at("missing_tenant") == 1);
  CHECK(summary.rejected().at("empty_values") == 1);
  CHECK(summary.rejected().at("dimension_too_large") == 1);
  REQUIRE(summary.first_rejections_size() == 6);
  CHECK(summary.first_rejections(0).index() == 1);
  CHECK(summary.first_rejections(0).detail() == "values: stream t/s has dimension 3 (got 2)");
  CHECK(summary.first_rejections(1).detail() == "values[1]: must be finite");

  anomstream::v1::ObservationBatch empty;
  anomstream::v1::IngestSummary empty_summary;
  const auto empty_status = call(empty, empty_summary);
  CHECK(empty_status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(empty_status.error_message() == "observations: batch is empty");

  anomstream::v1::ObservationBatch oversized;
  for (int i = 0; i < 101; ++i) *oversized.add_observations() = observation("t", {1, 2, 3});
  anomstream::v1::IngestSummary oversized_summary;
  const auto oversized_status = call(oversized, oversized_summary);
  CHECK(oversized_status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(oversized_status.error_message() == "observations: at most 100 per batch (got 101)");

  // Garbage, a truncated valid datagram, and an empty datagram over UDP.
  anomstream::test::send_udp(daemon.udp_port(), "\xff\xff\xff\xff garbage that is not protobuf");
  std::string valid;
  anomstream::v1::ObservationBatch one;
  *one.add_observations() = observation("t", {1, 2, 3});
  one.SerializeToString(&valid);
  anomstream::test::send_udp(daemon.udp_port(), valid.substr(0, valid.size() - 5));
  anomstream::test::send_udp(daemon.udp_port(), "");

  // 7 + 1 (empty batch) + 101 (oversized) over gRPC, 3 over UDP.
  REQUIRE(anomstream::test::poll_until([&] { return accounting_holds(scrape(daemon), 7 + 1 + 101 + 3); }));
  const auto m = scrape(daemon);
  CHECK(m.at("anomstream_ingest_observations_rejected_total{reason=\"malformed\"}") == 2);
  CHECK(m.at("anomstream_ingest_observations_rejected_total{reason=\"empty_batch\"}") == 2);
  CHECK(m.at("anomstream_ingest_observations_rejected_total{reason=\"oversized\"}") == 101);
  CHECK(m.at("anomstream_ingest_observations_rejected_total{reason=\"non_finite\"}") == 2);

  // Still up and serving.
  grpc::ClientContext context;
  anomstream::v1::StatusReply status;
  CHECK(stub->GetStatus(&context, {}, &status).ok());
  CHECK(status.scored() == 1);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("a tenant flood beyond the pool bound evicts least recently used tenants") {
  DaemonUnderTest daemon(SMALL_FOREST + "workers:\n  count: 2\ntenants:\n  max_tenants: 10\n", "flood");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::v1::ObservationBatch batch;
  for (int t = 0; t < 200; ++t) {
    auto* o = batch.add_observations();
    o->set_tenant("flood-" + std::to_string(t));
    o->set_stream("s");
    for (int v = 0; v < 4; ++v) o->add_values(t + v);
  }
  grpc::ClientContext context;
  anomstream::v1::IngestSummary summary;
  REQUIRE(stub->ObserveBatch(&context, batch, &summary).ok());
  REQUIRE(anomstream::test::poll_until([&] { return accounting_holds(scrape(daemon), 200); }));
  const auto m = scrape(daemon);
  CHECK(m.at("anomstream_tenants_live") <= 10);
  CHECK(m.at("anomstream_pool_evictions_total") >= 190);
  CHECK(daemon.stop().exit_code == 0);
}

TEST_CASE("/metrics passes promtool check metrics") {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    MESSAGE("promtool not installed (Debian package prometheus); skipping");
    return;
  }
  DaemonUnderTest daemon(SMALL_FOREST, "promtool");
  auto stub = anomstream::tools::make_stub(daemon.grpc_target());
  anomstream::tools::TrafficGenerator generator({.seed = 9});
  grpc::ClientContext context;
  anomstream::v1::IngestSummary summary;
  REQUIRE(stub->ObserveBatch(&context, synthetic_batch(generator, 200), &summary).ok());
  REQUIRE(anomstream::test::poll_until([&] { return accounting_holds(scrape(daemon), 200); }));
  const std::string path = daemon.dir() + "/metrics.txt";
  std::ofstream(path) << anomstream::test::http_get(daemon.metrics_port(), "/metrics");
  auto check = anomstream::test::run_process({"/bin/sh", "-c", "promtool check metrics < " + path});
  INFO(check.out, check.err);
  CHECK(check.exit_code == 0);
}
