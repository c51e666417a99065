// The left_mp pipeline: univariate streams only, scores as the library does, one alert
// per anomaly (the rows that still hold it are echoes), the neighbour's value as the
// expected one, and an exact continuation after restore.

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "anomstream/core/random.hpp"
#include "pipeline/left_mp_pipeline.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "pipeline_test_support.hpp"

using namespace anomstream;
using namespace anomstream::daemon;
using anomstream::daemon::test::same_continuation;
using anomstream::daemon::test::state_of;

namespace {

constexpr std::int64_t SPIKE = 1200;

PipelineSettings settings() {
  PipelineSettings s;
  s.detector = DetectorKind::left_mp;
  s.left_mp = {.window = 20, .history = 500, .normalize = false};
  return s;
}

// A noisy sine of period 50 with one spike of +4 at SPIKE.
double value(Xoshiro256& rng, std::int64_t t) {
  return std::sin(2 * std::numbers::pi * static_cast<double>(t) / 50.0) + 0.02 * rng.uniform01() +
         (t == SPIKE ? 4.0 : 0.0);
}

WorkItem item(double v, std::int64_t t) {
  WorkItem w;
  w.tenant = "t";
  w.stream = "s";
  w.timestamp_ns = t;
  w.values = {v};
  return w;
}

std::unique_ptr<StreamPipeline> make(const PipelineSettings& s = settings()) {
  auto p = StreamPipeline::create(s, "t", "s", 1);
  REQUIRE(p);
  return std::move(*p);
}

}  // namespace

TEST_CASE("a left_mp stream scores as the library does and raises one alert for a spike, its echoes counted") {
  auto p = make();
  auto reference = subsequence::LeftMatrixProfile::create(left_mp_config(settings().left_mp));
  REQUIRE(reference);
  Xoshiro256 rng(21);
  std::vector<v1::Alert> alerts;
  double reference_expected = 0;
  int echoes = 0;
  for (std::int64_t t = 0; t < SPIKE + 200; ++t) {
    const double v = value(rng, t);
    auto out = p->process(item(v, t));
    REQUIRE(out);
    REQUIRE(reference->process(v));
    REQUIRE(out->score == reference->score());
    if (out->alert) {
      alerts.push_back(*out->alert);
      reference_expected = *reference->expected_newest();
    }
    echoes += out->echo ? 1 : 0;
    if (t > SPIKE && t < SPIKE + 20) CHECK_FALSE(out->alert.has_value());  // the spike is still in the subsequence
  }
  REQUIRE(alerts.size() == 1);
  const auto& alert = alerts[0];
  CHECK(alert.timestamp_ns() == SPIKE);
  CHECK(alert.detector() == "left_mp");
  REQUIRE(alert.top_features_size() == 1);
  const auto& f = alert.top_features(0);
  CHECK(f.index() == 0);
  CHECK(f.share() == 1.0);
  CHECK(f.direction() == v1::DIRECTION_HIGH);
  // The value that ended the nearest neighbour, which did not have the spike.
  CHECK(f.expected() == reference_expected);
  CHECK(f.expected() < f.value() - 3.0);
  CHECK(echoes >= 1);
}

TEST_CASE("a restored left_mp pipeline continues exactly") {
  auto original = make();
  Xoshiro256 rng(22);
  std::int64_t t = 0;
  for (; t < 900; ++t) REQUIRE(original->process(item(value(rng, t), t)));
  const auto state = state_of(*original);
  CHECK(state.has_left_mp());
  CHECK(state.position() == 900);
  auto restored = StreamPipeline::restore(settings(), state);
  REQUIRE(restored);
  CHECK(same_continuation(*original, **restored, t, SPIKE + 100,
                          [&](std::int64_t at) { return item(value(rng, at), at); }) == 1);
  CHECK(state_of(*original).SerializeAsString() == state_of(**restored).SerializeAsString());
}

TEST_CASE("left_mp refuses a stream of several values, and a state of another configuration or width") {
  auto wide = StreamPipeline::create(settings(), "t", "s", 3);
  REQUIRE_FALSE(wide);
  CHECK(wide.error().field == "pipeline.detector");
  auto p = make();
  Xoshiro256 rng(23);
  for (std::int64_t t = 0; t < 300; ++t) REQUIRE(p->process(item(value(rng, t), t)));
  const auto state = state_of(*p);
  auto longer = settings();
  longer.left_mp.history = 4096;
  CHECK(StreamPipeline::restore(longer, state).error().field == "left_mp.config");
  auto kmeans = settings();
  kmeans.detector = DetectorKind::kmeans;
  CHECK(StreamPipeline::restore(kmeans, state).error().field == "stream.detector");
  auto bad = state;
  bad.set_dimension(2);
  CHECK(StreamPipeline::restore(settings(), bad).error().field == "stream.dimension");
  bad = state;
  bad.set_position(301);
  CHECK(StreamPipeline::restore(settings(), bad).error().field == "stream.position");
  bad = state;
  bad.mutable_left_mp()->mutable_left_mp()->mutable_recent()->RemoveLast();
  CHECK(StreamPipeline::restore(settings(), bad).error().code == ErrorCode::corrupt_snapshot);
  bad = state;
  bad.mutable_left_mp()->set_last_alert_position(1000);
  CHECK(StreamPipeline::restore(settings(), bad).error().field == "left_mp.last_alert_position");
}
