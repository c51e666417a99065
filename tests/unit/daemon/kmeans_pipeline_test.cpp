// The kmeans pipeline: which streams get it, that it catches a change of shape the way
// the library scores it, explains the alert by the channel that moved, and that a
// restored pipeline continues exactly; restore refuses states of another detector or
// another configuration.

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "anomstream/core/random.hpp"
#include "anomstream/subsequence/subsequence_kmeans.hpp"
#include "pipeline/kmeans_pipeline.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "pipeline_test_support.hpp"

using namespace anomstream;
using namespace anomstream::daemon;
using anomstream::daemon::test::same_continuation;
using anomstream::daemon::test::state_of;

namespace {

constexpr std::size_t DIM = 3;
constexpr std::int64_t SHAPE_BREAK = 1500;  // from here on, channel 2 runs at 2.5x its frequency for 15 rows

PipelineSettings settings() {
  PipelineSettings s;
  s.detector = DetectorKind::kmeans;
  s.kmeans = {.window = 20, .clusters = 6, .warmup = 400, .reservoir = 400, .max_count = 500};
  return s;
}

// Channels j = 0..2: sines of period 40 at phase j, scaled by j + 1, plus small noise;
// rows [SHAPE_BREAK, SHAPE_BREAK + 15) of channel 2 oscillate 2.5x faster.
WorkItem item(Xoshiro256& rng, std::int64_t t, const std::string& stream = "s") {
  WorkItem w;
  w.tenant = "t";
  w.stream = stream;
  w.timestamp_ns = t;
  for (std::size_t j = 0; j < DIM; ++j) {
    double period = 40.0;
    if (j == 2 && t >= SHAPE_BREAK && t < SHAPE_BREAK + 15) period = 16.0;
    w.values.push_back((j + 1.0) * std::sin(2 * std::numbers::pi * static_cast<double>(t) / period + j) +
                       0.02 * rng.uniform01());
  }
  return w;
}

std::unique_ptr<StreamPipeline> make(const PipelineSettings& s = settings()) {
  auto p = StreamPipeline::create(s, "t", "s", DIM);
  REQUIRE(p);
  return std::move(*p);
}

}  // namespace

TEST_CASE("pipeline.detector is every stream's default; the longest matching list entry overrides it") {
  PipelineSettings s;
  CHECK(detector_for(s, "anything") == DetectorKind::forest);
  s.kmeans_streams = {"dns/*", "flows"};
  s.forest_streams = {"dns/resolver-1"};
  CHECK(detector_for(s, "flows") == DetectorKind::kmeans);
  CHECK(detector_for(s, "flows2") == DetectorKind::forest);      // exact names match exactly
  CHECK(detector_for(s, "dns/a") == DetectorKind::kmeans);       // prefix
  CHECK(detector_for(s, "dns/resolver-1") == DetectorKind::forest);  // the longer entry wins
  s.detector = DetectorKind::kmeans;
  s.kmeans_streams.clear();
  CHECK(detector_for(s, "anything") == DetectorKind::kmeans);
  s.forest_streams = {"a*"};
  s.kmeans_streams = {"a"};
  CHECK(detector_for(s, "a") == DetectorKind::kmeans);  // exact before a prefix of its length
  CHECK(detector_for(s, "ab") == DetectorKind::forest);
  CHECK(parse_detector_kind("kmeans") == DetectorKind::kmeans);
  CHECK_FALSE(parse_detector_kind("knn"));
}

TEST_CASE("a kmeans stream scores as the library does and alerts on a change of shape, blaming its channel") {
  auto p = make();
  auto reference = subsequence::SubsequenceKMeans::create(
      kmeans_config(settings().kmeans, DIM, state_of(*p).kmeans().kmeans().seed()));
  REQUIRE(reference);
  Xoshiro256 rng(11);
  int alerts_before = 0;
  std::optional<v1::Alert> first_after;
  for (std::int64_t t = 0; t < SHAPE_BREAK + 40; ++t) {
    const auto w = item(rng, t);
    auto out = p->process(w);
    REQUIRE(out);
    auto expected = reference->process(w.values);
    REQUIRE(expected);
    REQUIRE(out->score == *expected);  // the window's score, no delay, scored before learned
    if (!out->alert) continue;
    if (t < SHAPE_BREAK) {
      ++alerts_before;
    } else if (!first_after) {
      first_after = out->alert;
    }
  }
  CHECK(alerts_before <= 3);
  REQUIRE(first_after.has_value());
  const auto& alert = *first_after;
  CHECK(alert.detector() == "kmeans");
  CHECK(alert.timestamp_ns() >= SHAPE_BREAK);
  CHECK(alert.timestamp_ns() < SHAPE_BREAK + 15);
  CHECK(alert.score() > alert.threshold());
  CHECK(alert.severity() != v1::SEVERITY_UNSPECIFIED);
  REQUIRE(alert.top_features_size() == 3);
  CHECK(alert.top_features(0).index() == 2);
  CHECK(alert.top_features(0).share() > 0.5);
  double shares = 0;
  for (const auto& f : alert.top_features()) shares += f.share();
  CHECK(shares == doctest::Approx(1.0).epsilon(1e-9));
  // The expected value of a channel that kept its shape is close to what it showed.
  // The nearest usual shape, in the window's scale, is furthest from what the blamed
  // channel showed (the library's unit test checks the mapping itself).
  const auto miss = [&](int k) { return std::abs(alert.top_features(k).expected() - alert.top_features(k).value()); };
  CHECK(miss(0) > miss(1));
  CHECK(miss(0) > miss(2));
}

TEST_CASE("a restored kmeans pipeline continues exactly, in warm-up and after it") {
  for (const std::int64_t saved_at : {std::int64_t{150}, std::int64_t{1200}}) {
    CAPTURE(saved_at);
    auto original = make();
    Xoshiro256 rng(12);
    std::int64_t t = 0;
    for (; t < saved_at; ++t) REQUIRE(original->process(item(rng, t)));
    const auto state = state_of(*original);
    CHECK(state.has_kmeans());
    CHECK(state.position() == static_cast<std::uint64_t>(saved_at));
    auto restored = StreamPipeline::restore(settings(), state);
    REQUIRE(restored);
    CHECK(same_continuation(*original, **restored, t, SHAPE_BREAK + 40,
                            [&](std::int64_t at) { return item(rng, at); }) >= 1);
    CHECK(state_of(*original).SerializeAsString() == state_of(**restored).SerializeAsString());
  }
}

TEST_CASE("restore refuses a kmeans state for a forest stream, of another configuration, or out of step") {
  auto p = make();
  Xoshiro256 rng(13);
  for (std::int64_t t = 0; t < 600; ++t) REQUIRE(p->process(item(rng, t)));
  const auto state = state_of(*p);
  auto forest_settings = settings();
  forest_settings.detector = DetectorKind::forest;
  CHECK(StreamPipeline::restore(forest_settings, state).error().field == "stream.detector");
  forest_settings.kmeans_streams = {"s"};
  CHECK(StreamPipeline::restore(forest_settings, state));  // named by the list, it is a kmeans stream
  auto wider = settings();
  wider.kmeans.window = 30;
  CHECK(StreamPipeline::restore(wider, state).error().field == "kmeans.config");
  // The state carries the score's weight. One written before the weight existed decodes
  // as 0, the plain distance: refused under a configuration that weighs the newest row,
  // restored under one that does not.
  CHECK(state.kmeans().kmeans().newest_weight() == settings().kmeans.newest_weight);
  auto reweighted = settings();
  reweighted.kmeans.newest_weight = 1.0;
  CHECK(StreamPipeline::restore(reweighted, state).error().field == "kmeans.config");
  auto older = state;
  older.mutable_kmeans()->mutable_kmeans()->clear_newest_weight();
  CHECK(StreamPipeline::restore(settings(), older).error().field == "kmeans.config");
  auto plain = settings();
  plain.kmeans.newest_weight = 0.0;
  CHECK(StreamPipeline::restore(plain, older));
  auto bad = state;
  bad.set_position(state.position() + 1);
  CHECK(StreamPipeline::restore(settings(), bad).error().field == "stream.position");
  bad = state;
  bad.mutable_kmeans()->mutable_kmeans()->mutable_centroids()->RemoveLast();
  CHECK(StreamPipeline::restore(settings(), bad).error().code == ErrorCode::corrupt_snapshot);
  bad = state;
  bad.mutable_kmeans()->mutable_kmeans()->mutable_rng()->RemoveLast();
  CHECK(StreamPipeline::restore(settings(), bad).error().field == "kmeans.rng");
  bad = state;
  bad.mutable_kmeans()->mutable_gate()->mutable_severity()->set_low(2.0);
  CHECK(StreamPipeline::restore(settings(), bad).error().code == ErrorCode::corrupt_snapshot);
}

TEST_CASE("a stream too wide for the kmeans window is refused at creation, naming the bound") {
  auto s = settings();
  s.kmeans.window = 4096;
  auto p = StreamPipeline::create(s, "t", "s", 17);  // 17 * 4096 > 65536
  REQUIRE_FALSE(p);
  CHECK(p.error().code == ErrorCode::invalid_config);
}

TEST_CASE("the fingerprint of an all-forest configuration ignores the kmeans keys, and covers them once used") {
  PipelineSettings forest_only;
  auto tuned = forest_only;
  tuned.kmeans.window = 64;
  CHECK(model_fingerprint(tuned) == model_fingerprint(forest_only));
  auto listed = forest_only;
  listed.kmeans_streams = {"flows"};
  CHECK(model_fingerprint(listed) != model_fingerprint(forest_only));
  auto listed_tuned = listed;
  listed_tuned.kmeans.window = 64;
  CHECK(model_fingerprint(listed_tuned) != model_fingerprint(listed));
  auto listed_weighted = listed;
  listed_weighted.kmeans.newest_weight = 0.0;
  CHECK(model_fingerprint(listed_weighted) != model_fingerprint(listed));
  auto all_kmeans = forest_only;
  all_kmeans.detector = DetectorKind::kmeans;
  CHECK(model_fingerprint(all_kmeans) != model_fingerprint(forest_only));
  CHECK(model_fingerprint(all_kmeans) != model_fingerprint(listed));
}
