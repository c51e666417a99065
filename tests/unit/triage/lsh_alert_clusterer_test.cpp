#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "anomstream/core/secret_key.hpp"
#include "anomstream/triage/lsh_alert_clusterer.hpp"

using anomstream::ErrorCode;
using anomstream::key_from_seed;
using anomstream::SipKey;
using anomstream::triage::LshAlertClusterer;
using anomstream::triage::LshAlertClustererConfig;

namespace {

// Unit vectors in 8 dimensions at `degrees` from e1 in a fixed plane. The hyperplanes'
// distribution is rotation invariant, so the plane does not matter.
std::vector<double> at_angle(double degrees) {
  std::vector<double> v(8, 0.0);
  v[0] = std::cos(degrees * std::numbers::pi / 180);
  v[3] = std::sin(degrees * std::numbers::pi / 180);
  return v;
}

LshAlertClusterer make(std::uint64_t seed, std::size_t bits, std::size_t max_entries = 64, bool probe = false) {
  auto clusterer = LshAlertClusterer::create({.dimension = 8,
                                              .bits = bits,
                                              .window_ns = 100,
                                              .max_entries = max_entries,
                                              .probe = probe,
                                              .key = key_from_seed(seed)});
  REQUIRE(clusterer);
  return *clusterer;
}

// Over SEEDS independent keys (from `first_seed`), how often an alert at 0 degrees and
// one at `degrees`, assigned one after the other, share a cluster.
int shared_clusters(int seeds, std::uint64_t first_seed, std::size_t bits, double degrees, bool probe) {
  int together = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    auto clusterer = make(first_seed + static_cast<std::uint64_t>(seed), bits, 64, probe);
    const auto a = clusterer.assign(at_angle(0), 0);
    const auto b = clusterer.assign(at_angle(degrees), 1);
    together += a->cluster_id == b->cluster_id ? 1 : 0;
  }
  return together;
}

}  // namespace

TEST_CASE("lsh: two alerts at angle theta share a cluster with probability (1 - theta/pi)^b") {
  // Over SEEDS independent keys the count of shared clusters is Binomial(SEEDS, p); the
  // check allows 4 standard deviations (a false failure about once in 16 000 runs).
  constexpr int SEEDS = 4000;
  for (const std::size_t bits : {1, 3}) {
    for (const double degrees : {20.0, 60.0, 90.0, 135.0}) {
      const int together = shared_clusters(SEEDS, 1000 * bits, bits, degrees, false);
      const double p = std::pow(1 - degrees / 180, static_cast<double>(bits));
      const double sd = std::sqrt(SEEDS * p * (1 - p));
      CAPTURE(bits);
      CAPTURE(degrees);
      CHECK(std::abs(together - SEEDS * p) <= 4 * sd + 1);
    }
  }
}

TEST_CASE("lsh: with probe, alerts one signature bit apart also share a cluster") {
  // Each hyperplane separates two alerts at angle theta with probability q = theta / pi,
  // independently, so with probing they share a cluster when at most one of b bits
  // differs: (1 - q)^b + b q (1 - q)^(b - 1). Binomial over SEEDS keys, 4 sd as above.
  constexpr int SEEDS = 4000;
  for (const std::size_t bits : {4, 12}) {
    for (const double degrees : {11.5, 45.0, 90.0, 180.0}) {
      const int together = shared_clusters(SEEDS, 7000 * bits, bits, degrees, true);
      const double q = degrees / 180;
      const double n = static_cast<double>(bits);
      const double p = std::pow(1 - q, n) + n * q * std::pow(1 - q, n - 1);
      const double sd = std::sqrt(SEEDS * p * (1 - p));
      CAPTURE(bits);
      CAPTURE(degrees);
      CHECK(std::abs(together - SEEDS * p) <= 4 * sd + 1);
    }
  }
}

TEST_CASE("lsh: a probe joins the neighbour seen last, never a closed one, and keeps its signature") {
  // Three vectors whose signatures are s, s with bit i flipped and s with bit j flipped,
  // found by trying angles under one key.
  auto clusterer = make(11, 12, 64, true);
  const auto base = at_angle(0);
  const std::uint64_t s = *clusterer.signature(base);
  std::vector<std::vector<double>> one_bit;
  for (double degrees = 1; degrees < 360 && one_bit.size() < 2; degrees += 0.5) {
    std::vector<double> v(8, 0.0);
    v[0] = std::cos(degrees * std::numbers::pi / 180);
    v[static_cast<std::size_t>(degrees) % 7 + 1] = std::sin(degrees * std::numbers::pi / 180);
    const std::uint64_t t = *clusterer.signature(v);
    if (std::popcount(s ^ t) != 1) continue;
    if (!one_bit.empty() && *clusterer.signature(one_bit[0]) == t) continue;
    one_bit.push_back(v);
  }
  REQUIRE(one_bit.size() == 2);
  // The two neighbours differ from each other in two bits: each opens its own cluster.
  const auto first = clusterer.assign(one_bit[0], 1000);
  const auto second = clusterer.assign(one_bit[1], 1010);
  REQUIRE(first->opened);
  REQUIRE(second->opened);
  // The base is one bit from both: it joins the one seen last, and opens no entry.
  const auto joined = clusterer.assign(base, 1020);
  CHECK(joined->cluster_id == second->cluster_id);
  CHECK_FALSE(joined->opened);
  CHECK(joined->size == 2);
  CHECK(clusterer.entries() == 2);
  // At 1105 the first neighbour's cluster (last alert at 1000) is closed; the second's
  // (refreshed by the base at 1020) is open.
  CHECK(clusterer.assign(base, 1105)->cluster_id == second->cluster_id);
  // Once every neighbour is closed, the base opens its own cluster.
  const auto alone = clusterer.assign(base, 1300);
  CHECK(alone->opened);
  CHECK(alone->cluster_id == 3);
  CHECK(clusterer.entries() == 3);
}

TEST_CASE("lsh: a fresh secret key per instance, and a refused draw fails the construction") {
  int draws = 0;
  std::uint64_t next = 1;
  auto drawer = [&]() -> anomstream::Result<SipKey> {
    ++draws;
    return key_from_seed(next++);
  };
  auto a = LshAlertClusterer::create({.dimension = 8, .bits = 64, .key = {}}, drawer);
  auto b = LshAlertClusterer::create({.dimension = 8, .bits = 64, .key = {}}, drawer);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(draws == 2);
  CHECK(a->config().key != b->config().key);
  // 64 independent hyperplanes: equal signatures under two keys would be a 2^-64 event.
  CHECK(*a->signature(at_angle(10)) != *b->signature(at_angle(10)));
  auto refused = LshAlertClusterer::create({.dimension = 8, .key = {}}, [] {
    return anomstream::Result<SipKey>(anomstream::fail(ErrorCode::io_error, "secret_key", "ENOSYS"));
  });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().field == "secret_key");
  // The real drawer works here and gives distinct keys.
  auto real_a = LshAlertClusterer::create({.dimension = 8, .key = {}});
  auto real_b = LshAlertClusterer::create({.dimension = 8, .key = {}});
  REQUIRE(real_a);
  REQUIRE(real_b);
  CHECK(real_a->config().key != real_b->config().key);
}

TEST_CASE("lsh: a cluster closes window_ns after its last alert; the signature gets a new id") {
  auto clusterer = make(5, 8);
  REQUIRE(clusterer.assign(at_angle(0), 1000)->cluster_id == 1);
  CHECK(clusterer.assign(at_angle(0), 1100)->cluster_id == 1);
  const auto late = clusterer.assign(at_angle(0), 1201);
  CHECK(late->cluster_id == 2);
  CHECK(late->opened);
  CHECK(clusterer.entries() == 1);
}

TEST_CASE("lsh: at most max_entries signatures; the least recently seen is evicted") {
  auto clusterer = make(9, 64, 4);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(clusterer.assign(at_angle(i * 45), i)->cluster_id);
  CHECK(ids == std::vector<std::uint64_t>{1, 2, 3, 4});
  REQUIRE(clusterer.assign(at_angle(0), 10)->cluster_id == 1);  // 1 is now the most recent
  CHECK(clusterer.assign(at_angle(200), 11)->cluster_id == 5);  // evicts 2 (45 degrees)
  CHECK(clusterer.entries() == 4);
  CHECK(clusterer.evictions() == 1);
  CHECK(clusterer.assign(at_angle(45), 12)->cluster_id == 6);   // forgotten: new id
  CHECK(clusterer.assign(at_angle(0), 13)->cluster_id == 1);    // kept
  for (int i = 0; i < 1000; ++i) REQUIRE(clusterer.assign(at_angle(i * 0.37), 20 + i));
  CHECK(clusterer.entries() == 4);
  CHECK(clusterer.snapshot().entries.size() == 4);
}

TEST_CASE("lsh: bad input and config are errors; snapshot and restore continue bit for bit") {
  auto clusterer = make(3, 12, 16);
  CHECK(clusterer.assign(std::vector<double>(8, 0.0), 0).error().code == ErrorCode::invalid_input);
  CHECK(clusterer.assign(std::vector<double>(7, 1.0), 0).error().code == ErrorCode::dimension_mismatch);
  auto nan = at_angle(0);
  nan[2] = NAN;
  CHECK(clusterer.assign(nan, 0).error().code == ErrorCode::non_finite);
  CHECK(LshAlertClusterer::create({.bits = 65, .key = SipKey{}}).error().field == "bits");
  CHECK(LshAlertClusterer::create({.max_entries = 0, .key = SipKey{}}).error().field == "max_entries");
  for (int i = 0; i < 200; ++i) REQUIRE(clusterer.assign(at_angle(i * 13 % 360), i * 3));
  auto copy = LshAlertClusterer::restore(clusterer.snapshot());
  REQUIRE(copy);
  for (int i = 200; i < 400; ++i) {
    CHECK(clusterer.assign(at_angle(i * 13 % 360), i * 3)->cluster_id ==
          copy->assign(at_angle(i * 13 % 360), i * 3)->cluster_id);
  }
  CHECK(copy->snapshot() == clusterer.snapshot());
  auto broken = clusterer.snapshot();
  broken.entries[0].signature = std::uint64_t{1} << 12;
  CHECK(LshAlertClusterer::restore(broken).error().field == "entries.signature");
  broken = clusterer.snapshot();
  std::swap(broken.entries[0], broken.entries[3]);
  CHECK(LshAlertClusterer::restore(broken).error().code == anomstream::ErrorCode::corrupt_snapshot);
  broken = clusterer.snapshot();
  broken.entries[1].id = broken.entries[0].id;
  CHECK(LshAlertClusterer::restore(broken).error().field == "entries.id");
  broken = clusterer.snapshot();
  broken.config.key.reset();
  CHECK(LshAlertClusterer::restore(broken).error().field == "config.key");
}

TEST_CASE("lsh: scopes keep equal signatures apart, and survive snapshot and restore") {
  auto clusterer = make(5, 12, 16);
  const auto a = clusterer.assign("host-a", at_angle(0), 0);
  const auto a_again = clusterer.assign("host-a", at_angle(0), 1);
  const auto b = clusterer.assign("host-b", at_angle(0), 2);
  const auto unscoped = clusterer.assign(at_angle(0), 3);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(unscoped);
  CHECK(a_again->cluster_id == a->cluster_id);
  CHECK(a_again->size == 2);
  CHECK(b->cluster_id != a->cluster_id);
  CHECK(b->opened);
  CHECK(unscoped->cluster_id != a->cluster_id);
  CHECK(unscoped->cluster_id != b->cluster_id);
  CHECK(clusterer.entries() == 3);
  CHECK(clusterer.assign("", at_angle(0), 4).error().field == "scope");
  CHECK(clusterer.assign(std::string(1025, 's'), at_angle(0), 4).error().field == "scope");

  // Each entry keeps its signature and scope; the restored table answers alike.
  auto copy = LshAlertClusterer::restore(clusterer.snapshot());
  REQUIRE(copy);
  CHECK(copy->assign("host-b", at_angle(0), 5)->cluster_id == b->cluster_id);
  CHECK(copy->assign("host-a", at_angle(0), 5)->cluster_id == a->cluster_id);
  auto broken = clusterer.snapshot();
  broken.entries[1] = broken.entries[0];
  broken.entries[1].id = broken.entries[2].id + 1;
  broken.next_id = broken.entries[1].id + 1;
  CHECK(LshAlertClusterer::restore(broken).error().field == "entries.signature");
}
