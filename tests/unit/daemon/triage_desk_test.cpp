#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "anomstream/core/secret_key.hpp"
#include "triage/triage_desk.hpp"

using anomstream::daemon::split_alert_id;
using anomstream::daemon::TriageDesk;
using anomstream::daemon::TriageSettings;
using anomstream::triage::FeedbackLabel;
namespace v1 = anomstream::v1;

namespace {

constexpr std::int64_t HOUR = 3'600'000'000'000;

// An alert of tenant "t" whose attribution blames `feature` (share 0.8) and feature 0 (0.2).
v1::Alert alert(const std::string& stream, std::uint32_t feature, double score, double threshold = 2.0,
                std::int64_t time = 0, v1::Direction direction = v1::DIRECTION_HIGH) {
  v1::Alert a;
  a.set_tenant("t");
  a.set_stream(stream);
  a.set_detector("forest");
  a.set_score(score);
  a.set_threshold(threshold);
  a.set_timestamp_ns(time);
  auto* f = a.add_top_features();
  f->set_index(feature);
  f->set_share(0.8);
  f->set_direction(direction);
  auto* g = a.add_top_features();
  g->set_index(0);
  g->set_share(0.2);
  g->set_direction(v1::DIRECTION_HIGH);
  return a;
}

std::array<std::uint8_t, 16> key_of(const v1::Alert& a) {
  std::array<std::uint8_t, 16> key{};
  REQUIRE(anomstream::daemon::parse_alert_key(split_alert_id(a.alert_id()).second, key));
  return key;
}

std::unique_ptr<TriageDesk> make(const TriageSettings& settings = {}) {
  auto desk = TriageDesk::create(settings);
  REQUIRE(desk);
  return std::move(*desk);
}

v1::Alert triaged(TriageDesk& desk, v1::Alert a, std::int64_t now = 0) {
  REQUIRE(desk.triage(a, now));
  return a;
}

// "t/" and 32 lowercase hex digits.
bool is_alert_id(const std::string& id) {
  return id.size() == 34 && id.starts_with("t/") &&
         id.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
}

}  // namespace

TEST_CASE("triage desk: ids are 128 random bits under the tenant, unique, and name the alert for a verdict") {
  auto desk = make({.recent_alerts = 64});
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const auto a = triaged(*desk, alert("s", 1, 3.0));
    CHECK(is_alert_id(a.alert_id()));
    ids.insert(a.alert_id());
  }
  CHECK(ids.size() == 1000);
  CHECK(desk->recent_alerts() == 64);
  // The newest are found, the ones beyond recent_alerts are not.
  const auto newest = triaged(*desk, alert("s", 1, 3.0));
  auto found = desk->verdict(key_of(newest), FeedbackLabel::true_positive, 0);
  REQUIRE(found);
  CHECK(found->has_value());
  std::array<std::uint8_t, 16> oldest{};
  REQUIRE(anomstream::daemon::parse_alert_key(split_alert_id(*ids.begin()).second, oldest));
  int missing = 0;
  for (const auto& id : ids) {
    std::array<std::uint8_t, 16> key{};
    REQUIRE(anomstream::daemon::parse_alert_key(split_alert_id(id).second, key));
    auto v = desk->verdict(key, FeedbackLabel::benign, 0);
    REQUIRE(v);
    missing += v->has_value() ? 0 : 1;
  }
  CHECK(missing == 1000 - 63);  // 63 of the 1000 are still among the newest 64
  CHECK(split_alert_id("a/b/0123").first == "a/b");
  CHECK(split_alert_id("noslash").first.empty());
  std::array<std::uint8_t, 16> key{};
  CHECK_FALSE(anomstream::daemon::parse_alert_key(std::string(31, 'a'), key));
  CHECK_FALSE(anomstream::daemon::parse_alert_key(std::string(32, 'A'), key));
}

TEST_CASE("triage desk: one stream's similar alerts share an incident until its window closes; streams stay apart") {
  // 24 bits: two different attributions (86 degrees apart) share a signature with
  // probability 0.52^24, about 1e-7, so the keys' randomness cannot fail the test.
  auto desk = make({.cluster_bits = 24, .cluster_window_ns = 100});
  const auto a = triaged(*desk, alert("s", 3, 3.0, 2.0, 10));
  const auto b = triaged(*desk, alert("s", 3, 5.0, 2.0, 50));
  const auto other_stream = triaged(*desk, alert("r", 3, 3.0, 2.0, 60));
  const auto other_feature = triaged(*desk, alert("s", 5, 3.0, 2.0, 70));
  const auto low = triaged(*desk, alert("s", 3, 3.0, 2.0, 80, v1::DIRECTION_LOW));
  const auto late = triaged(*desk, alert("s", 3, 3.0, 2.0, 500));
  CHECK(a.cluster_id() >= 1);
  CHECK(b.cluster_id() == a.cluster_id());
  CHECK(other_stream.cluster_id() != a.cluster_id());
  CHECK(other_feature.cluster_id() != a.cluster_id());
  CHECK(low.cluster_id() != a.cluster_id());
  CHECK(late.cluster_id() > low.cluster_id());  // closed: a new, larger id
}

TEST_CASE("triage desk: an unbroken run of alerting observations of one stream is one incident") {
  auto desk = make({.cluster_bits = 24, .cluster_window_ns = 100});
  const auto at = [&](const std::string& stream, std::uint32_t feature, std::uint64_t position, std::int64_t time) {
    v1::Alert a = alert(stream, feature, 3.0, 2.0, time);
    REQUIRE(desk->triage(a, 0, nullptr, position));
    return a;
  };
  const auto first = at("s", 3, 10, 10);
  const auto next = at("s", 5, 11, 11);        // the next row, another attribution: same incident
  const auto other = at("r", 7, 12, 12);       // another stream's row 12 does not continue s
  const auto third = at("s", 6, 12, 12);       // the run goes on
  const auto gap = at("s", 2, 14, 14);         // a row without an alert ends the run
  const auto unknown = at("s", 4, 0, 15);      // no position: by signature only
  CHECK(next.cluster_id() == first.cluster_id());
  CHECK(third.cluster_id() == first.cluster_id());
  CHECK(other.cluster_id() != first.cluster_id());
  CHECK(gap.cluster_id() != first.cluster_id());
  CHECK(unknown.cluster_id() != first.cluster_id());
  CHECK(unknown.cluster_id() != gap.cluster_id());

  // The positions are part of the desk's state: a restored desk continues the run.
  anomstream::state::v1::TriageState state;
  desk->snapshot(state);
  auto copy = TriageDesk::restore({.cluster_bits = 24, .cluster_window_ns = 100}, state);
  REQUIRE(copy);
  v1::Alert after = alert("s", 1, 3.0, 2.0, 16);
  REQUIRE((*copy)->triage(after, 0, nullptr, 15));
  CHECK(after.cluster_id() == gap.cluster_id());
}

TEST_CASE("triage desk: a false positive suppresses the stream's similar alerts up to its margin, for its TTL") {
  // 24 bits, as above: another attribution never shares the verdict's signature.
  TriageSettings settings{.feedback_bits = 24, .false_positive_ttl_ns = HOUR, .escalation = 0.25};
  auto desk = make(settings);
  const auto first = triaged(*desk, alert("s", 3, 3.0), 0);
  CHECK(first.probability() == doctest::Approx(0.5));
  CHECK(first.feedback().empty());
  CHECK_FALSE(first.suppressed());
  auto v = desk->verdict(key_of(first), FeedbackLabel::false_positive, 10);
  REQUIRE(v);
  REQUIRE(v->has_value());
  CHECK((*v)->first);
  CHECK((*v)->cluster_id == first.cluster_id());
  CHECK((*v)->probability < 0.5);

  // Dismissed at ln(3/2): suppressed up to ln(3/2) + 0.25, i.e. a score of 3 e^0.25 = 3.85.
  const auto similar = triaged(*desk, alert("s", 3, 3.8), 20);
  CHECK(similar.suppressed());
  CHECK(similar.feedback() == "false_positive");
  CHECK_FALSE(triaged(*desk, alert("s", 3, 3.9), 20).suppressed());  // clearly stronger: raised
  CHECK_FALSE(triaged(*desk, alert("r", 3, 3.5), 20).suppressed());  // another stream
  CHECK_FALSE(triaged(*desk, alert("s", 5, 3.5), 20).suppressed());  // another attribution
  CHECK_FALSE(triaged(*desk, alert("s", 3, 3.5), 10 + HOUR + 1).suppressed());  // TTL over

  // A true-positive verdict on a similar alert replaces the false positive.
  const auto confirmed = triaged(*desk, alert("s", 3, 3.2), 30);
  v = desk->verdict(key_of(confirmed), FeedbackLabel::true_positive, 40);
  REQUIRE(v);
  REQUIRE(v->has_value());
  const auto after = triaged(*desk, alert("s", 3, 3.5), 50);
  CHECK_FALSE(after.suppressed());
  CHECK(after.feedback() == "true_positive");
  // A second verdict on one alert is not its first.
  v = desk->verdict(key_of(confirmed), FeedbackLabel::true_positive, 60);
  REQUIRE(v);
  CHECK_FALSE((*v)->first);
}

TEST_CASE("triage desk: the calibrator learns from first verdicts: larger margins confirmed, smaller ones not") {
  auto desk = make({.recent_alerts = 4096});
  // Analysts confirm alerts well above the threshold and reject those just above it.
  for (int i = 0; i < 2000; ++i) {
    const bool real = i % 2 == 0;
    const double score = real ? 6.0 + (i % 7) * 0.1 : 2.1 + (i % 5) * 0.02;
    const auto a = triaged(*desk, alert("s" + std::to_string(i % 3), 1 + static_cast<std::uint32_t>(i % 4), score));
    auto v = desk->verdict(key_of(a), real ? FeedbackLabel::true_positive : FeedbackLabel::false_positive, 0);
    REQUIRE(v);
    REQUIRE(v->has_value());
  }
  const auto high = triaged(*desk, alert("z", 9, 6.3));
  const auto low = triaged(*desk, alert("z", 9, 2.12));
  CHECK(high.probability() > 0.9);
  CHECK(low.probability() < 0.1);
  // A detector the analysts have not judged stays at 0.5.
  auto kmeans = alert("z", 9, 6.3);
  kmeans.set_detector("kmeans");
  CHECK(triaged(*desk, kmeans).probability() == doctest::Approx(0.5));
}

TEST_CASE("triage desk: snapshot and restore continue alike; a corrupt state is refused naming its field") {
  TriageSettings settings{.recent_alerts = 32};
  auto desk = make(settings);
  std::vector<v1::Alert> raised;
  for (int i = 0; i < 40; ++i) raised.push_back(triaged(*desk, alert("s", 1 + i % 3, 3.0 + i % 4, 2.0, i)));
  REQUIRE(desk->verdict(key_of(raised.back()), FeedbackLabel::false_positive, 100));
  REQUIRE(desk->verdict(key_of(raised[30]), FeedbackLabel::true_positive, 100));
  anomstream::state::v1::TriageState state;
  desk->snapshot(state);
  auto copy = TriageDesk::restore(settings, state);
  REQUIRE(copy);
  CHECK((*copy)->recent_alerts() == desk->recent_alerts());
  // An alert named before the restore still takes a verdict after it.
  auto v = (*copy)->verdict(key_of(raised[30]), FeedbackLabel::true_positive, 150);
  REQUIRE(v);
  REQUIRE(v->has_value());
  CHECK_FALSE((*v)->first);
  REQUIRE(desk->verdict(key_of(raised[30]), FeedbackLabel::true_positive, 150));
  for (int i = 40; i < 80; ++i) {
    const auto a = triaged(*desk, alert("s", 1 + i % 3, 3.0 + i % 4, 2.0, i), 200);
    const auto b = triaged(**copy, alert("s", 1 + i % 3, 3.0 + i % 4, 2.0, i), 200);
    CHECK(a.cluster_id() == b.cluster_id());
    CHECK(a.suppressed() == b.suppressed());
    CHECK(a.probability() == b.probability());
    CHECK(a.alert_id() != b.alert_id());
  }

  auto broken = state;
  broken.mutable_recent(0)->set_id("short");
  CHECK(TriageDesk::restore(settings, broken).error().field == "triage.recent.id");
  broken = state;
  broken.mutable_recent(1)->set_id(state.recent(0).id());
  CHECK(TriageDesk::restore(settings, broken).error().field == "triage.recent.id");
  broken = state;
  broken.mutable_recent(0)->add_feature_index(1);
  CHECK(TriageDesk::restore(settings, broken).error().field == "triage.recent.feature_weight");
  broken = state;
  broken.mutable_feedback()->mutable_entries(0)->set_label(7);
  CHECK(TriageDesk::restore(settings, broken).error().field == "triage.feedback.entries.label");
  broken = state;
  broken.mutable_calibrators(0)->set_score_m2(-1);
  CHECK(TriageDesk::restore(settings, broken).error().code == anomstream::ErrorCode::corrupt_snapshot);
  broken = state;
  broken.clear_clusterer();
  CHECK(TriageDesk::restore(settings, broken).error().field == "triage.clusterer");

  // Other settings: a narrower signature drops the verdicts it keyed, ids keep growing.
  TriageSettings narrower = settings;
  narrower.feedback_bits = 4;
  narrower.cluster_bits = 6;
  auto changed = TriageDesk::restore(narrower, state);
  REQUIRE(changed);
  const auto again = triaged(**changed, alert("s", 1 + 39 % 3, 3.0, 2.0, 1000), 200);
  CHECK_FALSE(again.suppressed());
  anomstream::state::v1::TriageState before;
  desk->snapshot(before);
  CHECK(again.cluster_id() >= state.clusterer().next_id());
}
