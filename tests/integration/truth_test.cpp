// Grading alerts against the synthetic stream's ground truth (anomstreamctl truth and
// analyst): classification, incidents, the count after review, and calibration.

#include <doctest/doctest.h>

#include "alert_truth.hpp"
#include "traffic_generator.hpp"

using namespace anomstream::tools;

TEST_CASE("truth: alerts are on time, echoes or false; incidents, later false alerts and ECE are counted") {
  const TrafficConfig config{.seed = 3, .tenants = 1, .streams_per_tenant = 1, .anomaly_rate = 0.01,
                             .warmup_steps = 10};
  constexpr std::uint64_t COUNT = 3000;
  std::vector<TrafficObservation> injected;
  TrafficGenerator generator(config);
  for (std::uint64_t i = 0; i < COUNT; ++i) {
    auto o = generator.next();
    if (o.anomaly != AnomalyKind::none) injected.push_back(o);
  }
  REQUIRE(injected.size() >= 3);
  const auto& a = injected[0];
  const auto& b = injected[1];
  const std::int64_t step = config.step_ns;
  REQUIRE(b.timestamp_ns - a.timestamp_ns > 3 * step);
  // a: on time and one echo, in two incidents; b: on time, in a's first incident;
  // one false alert before a, one after b's echo window.
  std::vector<AlertSighting> alerts{
      {"forest", a.tenant, a.stream, a.timestamp_ns - step, "id0", 9, 0.2},
      {"forest", a.tenant, a.stream, a.timestamp_ns, "id1", 1, 0.9},
      {"forest", a.tenant, a.stream, a.timestamp_ns + 2 * step, "id2", 2, 0.9},
      {"forest", b.tenant, b.stream, b.timestamp_ns, "id3", 1, 0.9},
      {"forest", b.tenant, b.stream, b.timestamp_ns + 50 * step, "id4", 0, 0.2},
  };
  const InjectedTruth truth(config, COUNT, 40);
  CHECK(truth.anomalies() == injected.size());
  CHECK(truth.classify(alerts[0]).kind == SightingKind::false_alert);
  CHECK(truth.classify(alerts[1]).kind == SightingKind::on_time);
  CHECK(truth.classify(alerts[2]).kind == SightingKind::echo);
  CHECK(truth.classify(alerts[2]).anomaly == truth.classify(alerts[1]).anomaly);
  CHECK(truth.classify(alerts[4]).kind == (b.timestamp_ns + 50 * step - b.timestamp_ns <= 40 * step
                                               ? SightingKind::echo : SightingKind::false_alert));

  const auto tallies = grade_alerts(config, COUNT, alerts, 40, 2);
  const TruthTally& t = tallies.at("forest");
  CHECK(t.alerts == 5);
  CHECK(t.on_time == 2);
  CHECK(t.echoes == 1);
  CHECK(t.false_alerts == 2);
  CHECK(t.caught == 2);
  CHECK(t.injected == injected.size());
  CHECK(t.clusters == 4);                // 9, 1, 2 and the unclustered one
  CHECK(t.clusters_on_anomalies == 3);   // a: {1, 2}, b: {1}
  CHECK(t.shared_clusters == 2);         // a and b share incident 1
  CHECK(t.later_alerts == 3);            // after the first 2 of the stream
  CHECK(t.later_false == 1);
  CHECK(t.with_probability == 5);
  // Bins: 0.2 holds two false alerts (|0.2 - 0| each), 0.9 three real ones (|0.9 - 1|).
  CHECK(t.ece == doctest::Approx((2 * 0.2 + 3 * 0.1) / 5));
  AlertSighting parsed;
  REQUIRE(parse_alert_line("{\"alert_id\":\"t/ab\",\"tenant\":\"t\",\"stream\":\"s\",\"detector\":\"kmeans\","
                           "\"timestamp_ns\":42,\"cluster_id\":7,\"probability\":0.25,\"top_features\":[]}",
                           parsed));
  CHECK(parsed.alert_id == "t/ab");
  CHECK(parsed.cluster_id == 7);
  CHECK(parsed.probability == 0.25);
  CHECK(parsed.timestamp_ns == 42);
  CHECK_FALSE(parse_alert_line("{\"tenant\":\"t\",\"stream\":\"s\",\"timestamp_ns\":4", parsed));
}

TEST_CASE("truth: an incident of several rows is one anomaly; its rows follow the single-row stream's draws") {
  TrafficConfig single{.seed = 5, .tenants = 1, .streams_per_tenant = 2, .anomaly_rate = 0.01, .warmup_steps = 10};
  TrafficConfig multi = single;
  multi.incident_rows = 4;
  constexpr std::uint64_t COUNT = 4000;
  TrafficGenerator one(single);
  TrafficGenerator four(multi);
  std::map<std::string, std::vector<TrafficObservation>> rows;  // multi's anomalous rows per host
  std::uint64_t single_incidents = 0;
  std::uint64_t same_start = 0;
  for (std::uint64_t i = 0; i < COUNT; ++i) {
    const auto a = one.next();
    const auto b = four.next();
    REQUIRE(a.timestamp_ns == b.timestamp_ns);
    if (a.anomaly != AnomalyKind::none) ++single_incidents;
    if (b.anomaly != AnomalyKind::none) {
      auto& host = rows[b.stream];
      // A new incident starts where the single-row stream injects one, same kind.
      if (host.empty() || host.back().incident != b.incident) {
        same_start += a.anomaly == b.anomaly && a.incident != 0 ? 1 : 0;
      }
      host.push_back(b);
    }
  }
  REQUIRE(single_incidents >= 20);
  std::uint64_t incidents = 0;
  for (const auto& [stream, host] : rows) {
    std::size_t i = 0;
    while (i < host.size()) {
      // Each incident: consecutive rows of its host, one kind, 4 rows unless cut by COUNT.
      std::size_t j = i + 1;
      while (j < host.size() && host[j].incident == host[i].incident) {
        CHECK(host[j].timestamp_ns == host[j - 1].timestamp_ns + multi.step_ns);
        CHECK(host[j].anomaly == host[i].anomaly);
        ++j;
      }
      CHECK((j - i == 4 || j == host.size()));
      ++incidents;
      i = j;
    }
  }
  CHECK(same_start == incidents);
  // The truth grades incidents: an alert on any row is on time for the same incident,
  // one 2 rows after its last row is its echo.
  const InjectedTruth truth(multi, COUNT, 40);
  CHECK(truth.anomalies() == incidents);
  const auto& host = rows.begin()->second;
  const AlertSighting first{"forest", host[0].tenant, host[0].stream, host[0].timestamp_ns, "a", 1, 0.5};
  const AlertSighting third{"forest", host[2].tenant, host[2].stream, host[2].timestamp_ns, "b", 1, 0.5};
  const AlertSighting after{"forest", host[3].tenant, host[3].stream, host[3].timestamp_ns + 2 * multi.step_ns,
                            "c", 1, 0.5};
  CHECK(truth.classify(first).kind == SightingKind::on_time);
  CHECK(truth.classify(third).kind == SightingKind::on_time);
  CHECK(truth.classify(third).anomaly == truth.classify(first).anomaly);
  CHECK(truth.classify(after).kind == SightingKind::echo);
  CHECK(truth.classify(after).anomaly == truth.classify(first).anomaly);
  const auto tallies = grade_alerts(multi, COUNT, {first, third, after}, 40);
  CHECK(tallies.at("forest").caught == 1);
  CHECK(tallies.at("forest").clusters_on_anomalies == 1);
}
