#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "anomstream/triage/alert_clusterer.hpp"

using anomstream::ErrorCode;
using anomstream::triage::AlertClusterer;
using anomstream::triage::AlertClustererConfig;

namespace {

constexpr double DEGREE = std::numbers::pi / 180.0;

std::vector<double> at_angle(double degrees) {
  return {std::cos(degrees * DEGREE), std::sin(degrees * DEGREE), 0.0};
}

AlertClusterer make(double threshold_degrees, std::int64_t window_ns = 100, std::size_t max_open = 8) {
  auto clusterer = AlertClusterer::create({.dimension = 3,
                                           .threshold = std::cos(threshold_degrees * DEGREE),
                                           .window_ns = window_ns,
                                           .max_open = max_open});
  REQUIRE(clusterer);
  return *clusterer;
}

}  // namespace

TEST_CASE("alerts within the threshold angle share a cluster, wider angles do not") {
  auto clusterer = make(45);
  const auto first = clusterer.assign(at_angle(0), 10);
  REQUIRE(first);
  CHECK(first->cluster_id == 1);
  CHECK(first->opened);
  // 30 degrees from the cluster's direction (cos 30 = 0.866 >= cos 45 = 0.707).
  const auto near = clusterer.assign(at_angle(30), 11);
  CHECK(near->cluster_id == 1);
  CHECK_FALSE(near->opened);
  CHECK(near->size == 2);
  // The mean direction is now at 15 degrees; 61 degrees from it is 76 degrees: apart.
  const auto far = clusterer.assign(at_angle(76), 12);
  CHECK(far->cluster_id == 2);
  CHECK(far->opened);
  // Scale does not matter, only direction: a long vector at 15 degrees joins cluster 1.
  auto longer = at_angle(15);
  for (double& v : longer) v *= 1e6;
  CHECK(clusterer.assign(longer, 13)->cluster_id == 1);
  // Opposite direction opens a third cluster.
  CHECK(clusterer.assign(at_angle(180), 14)->cluster_id == 3);
  CHECK(clusterer.open_clusters() == 3);
}

TEST_CASE("the joining alert picks the most similar open cluster") {
  auto clusterer = make(60);
  REQUIRE(clusterer.assign(at_angle(0), 0)->cluster_id == 1);
  REQUIRE(clusterer.assign(at_angle(90), 0)->cluster_id == 2);
  // 50 degrees is within 60 of both, nearer to cluster 2 (40 degrees away).
  CHECK(clusterer.assign(at_angle(50), 1)->cluster_id == 2);
  CHECK(clusterer.assign(at_angle(10), 2)->cluster_id == 1);
}

TEST_CASE("a cluster stays open for window_ns after its last alert and no longer") {
  auto clusterer = make(10, 100);
  REQUIRE(clusterer.assign(at_angle(0), 1000)->cluster_id == 1);
  CHECK(clusterer.assign(at_angle(0), 1100)->cluster_id == 1);  // exactly the window
  CHECK(clusterer.assign(at_angle(0), 1200)->cluster_id == 1);  // the window restarts
  CHECK(clusterer.assign(at_angle(0), 1301)->cluster_id == 2);  // one past it: closed
  CHECK(clusterer.open_clusters() == 1);
  // An alert stamped earlier than the newest counts as arriving at the newest time.
  CHECK(clusterer.assign(at_angle(0), 0)->cluster_id == 2);
}

TEST_CASE("at most max_open clusters; the one with the oldest last alert is evicted") {
  auto clusterer = make(10, 1000, 3);
  REQUIRE(clusterer.assign(at_angle(0), 1)->cluster_id == 1);
  REQUIRE(clusterer.assign(at_angle(90), 2)->cluster_id == 2);
  REQUIRE(clusterer.assign(at_angle(180), 3)->cluster_id == 3);
  REQUIRE(clusterer.assign(at_angle(0), 4)->cluster_id == 1);  // cluster 1 seen last now
  CHECK(clusterer.assign(at_angle(270), 5)->cluster_id == 4);  // evicts cluster 2
  CHECK(clusterer.evictions() == 1);
  CHECK(clusterer.open_clusters() == 3);
  CHECK(clusterer.assign(at_angle(90), 6)->cluster_id == 5);   // 2 is gone: a new id
  CHECK(clusterer.assign(at_angle(0), 7)->cluster_id == 1);    // 1 survived
  CHECK(clusterer.snapshot().clusters.size() == 3);
  CHECK(clusterer.memory_bytes() < 1024);
}

TEST_CASE("alert clusterer rejects bad input and config, leaving the state unchanged") {
  auto clusterer = make(10);
  REQUIRE(clusterer.assign(at_angle(0), 5));
  const auto before = clusterer.snapshot();
  CHECK(clusterer.assign(std::vector<double>{1, 0}, 6).error().code == ErrorCode::dimension_mismatch);
  CHECK(clusterer.assign(std::vector<double>{1, NAN, 0}, 6).error().code == ErrorCode::non_finite);
  CHECK(clusterer.assign(std::vector<double>{0, 0, 0}, 6).error().code == ErrorCode::invalid_input);
  CHECK(clusterer.assign(at_angle(0), -1).error().field == "time_ns");
  CHECK(clusterer.snapshot() == before);
  CHECK(AlertClusterer::create({.dimension = 0}).error().field == "dimension");
  CHECK(AlertClusterer::create({.threshold = 1.5}).error().field == "threshold");
  CHECK(AlertClusterer::create({.window_ns = 0}).error().field == "window_ns");
  CHECK(AlertClusterer::create({.max_open = 0}).error().field == "max_open");
}

TEST_CASE("alert clusterer snapshot and restore continue bit for bit") {
  auto original = make(20, 50, 4);
  for (int i = 0; i < 40; ++i) REQUIRE(original.assign(at_angle(i * 37 % 360), i * 7));
  auto copy = AlertClusterer::restore(original.snapshot());
  REQUIRE(copy);
  for (int i = 40; i < 80; ++i) {
    const auto a = original.assign(at_angle(i * 37 % 360), i * 7);
    const auto b = copy->assign(at_angle(i * 37 % 360), i * 7);
    CHECK(a->cluster_id == b->cluster_id);
  }
  CHECK(copy->snapshot() == original.snapshot());
  auto broken = original.snapshot();
  broken.clusters[0].id = broken.next_id;
  CHECK(AlertClusterer::restore(broken).error().code == ErrorCode::corrupt_snapshot);
  broken = original.snapshot();
  broken.clusters[0].direction_sum.assign(3, 0.0);
  CHECK(AlertClusterer::restore(broken).error().field == "clusters.direction_sum");
  broken = original.snapshot();
  broken.clusters[1].id = broken.clusters[0].id;
  CHECK(AlertClusterer::restore(broken).error().field == "clusters.id");
}
