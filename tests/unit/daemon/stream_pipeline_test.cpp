// A stream pipeline restored from its state continues exactly like the original, the
// live settings apply over a restored state, and a state whose parts disagree is refused;
// one extreme value during warm-up does not blind the stream to later spikes.

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <string>

#include "anomstream/core/random.hpp"
#include "anomstream/forest/tenant_forest_pool.hpp"
#include "pipeline/stream_pipeline.hpp"
#include "pipeline_test_support.hpp"

using namespace anomstream;
using namespace anomstream::daemon;
using anomstream::daemon::test::same_continuation;
using anomstream::daemon::test::state_of;

namespace {

constexpr std::size_t DIM = 4;

PipelineSettings settings() {
  PipelineSettings s;
  s.num_trees = 50;
  s.sample_size = 64;
  return s;
}

// A periodic stream with a spike on feature 1 every 97 points (unless `spikes` is off).
WorkItem item(Xoshiro256& rng, std::int64_t t, bool spikes = true) {
  WorkItem w;
  w.tenant = "t";
  w.stream = "s";
  w.timestamp_ns = t;
  for (std::size_t j = 0; j < DIM; ++j) {
    w.values.push_back(std::sin(2 * std::numbers::pi * static_cast<double>(t) / 30.0 + static_cast<double>(j)) +
                       0.05 * rng.uniform01());
  }
  if (spikes && t > 300 && t % 97 == 0) w.values[1] += 8.0;
  return w;
}

std::unique_ptr<StreamPipeline> make() {
  auto p = StreamPipeline::create(settings(), "t", "s", DIM);
  REQUIRE(p);
  return std::move(*p);
}

}  // namespace

TEST_CASE("a restored pipeline scores and alerts exactly like the one it was saved from") {
  auto original = make();
  Xoshiro256 rng(4);
  std::int64_t t = 0;
  for (; t < 800; ++t) REQUIRE(original->process(item(rng, t)));
  const auto state = state_of(*original);
  CHECK(state.position() == 800);
  CHECK(original->position() == 800);
  auto restored = StreamPipeline::restore(settings(), state);
  REQUIRE(restored);
  CHECK((*restored)->position() == 800);
  const int alerts = same_continuation(*original, **restored, t, 1600, [&](std::int64_t at) { return item(rng, at); });
  CHECK(alerts >= 5);  // the comparison covered alerts
  CHECK(state_of(*original).SerializeAsString() == state_of(**restored).SerializeAsString());
}

TEST_CASE("a restored pipeline takes the live settings of the running configuration") {
  auto original = make();
  Xoshiro256 rng(5);
  for (std::int64_t t = 0; t < 600; ++t) REQUIRE(original->process(item(rng, t)));
  auto stricter = settings();
  stricter.z_factor = 10;
  stricter.top_features = 1;
  auto restored = StreamPipeline::restore(stricter, state_of(*original));
  REQUIRE(restored);
  const auto state = state_of(**restored);
  CHECK(state.forest().forest().threshold().z_factor() == 10);
  // The model itself is unchanged by the retune.
  CHECK(state.forest().forest().forest().SerializeAsString() ==
        state_of(*original).forest().forest().forest().SerializeAsString());
}

TEST_CASE("restore refuses a state whose detectors disagree with each other") {
  auto p = make();
  Xoshiro256 rng(6);
  for (std::int64_t t = 0; t < 200; ++t) REQUIRE(p->process(item(rng, t)));
  auto state = state_of(*p);
  auto bad = state;
  bad.set_dimension(DIM + 1);
  CHECK(StreamPipeline::restore(settings(), bad).error().field == "stream.dimension");
  bad = state;
  bad.set_position(state.position() + 1);
  CHECK(StreamPipeline::restore(settings(), bad).error().field == "stream.position");
  bad = state;
  bad.clear_forest();
  CHECK(StreamPipeline::restore(settings(), bad).error().code == ErrorCode::corrupt_snapshot);
  bad = state;
  bad.mutable_forest()->mutable_forest()->mutable_forest()->mutable_trees(0)->set_shape("garbage");
  CHECK(StreamPipeline::restore(settings(), bad).error().code == ErrorCode::corrupt_snapshot);
}

TEST_CASE("one extreme value during warm-up does not blind a stream to later spikes on that feature") {
  // Two pipelines with the same seed see the same periodic stream, with 5 spikes of +8 on
  // feature 1 after warm-up; the poisoned one also sees 1e30 on feature 1 during the
  // forest's warm-up, before its threshold can flag anything, so the value enters the
  // normaliser's statistics. Run with this file's small forest (scores from step 16) and
  // with the daemon's defaults (100 trees of 256, scores from step 64).
  struct Case {
    PipelineSettings settings;
    std::int64_t poison_at;
  };
  for (const auto& [config, poison_at] : {Case{settings(), 10}, Case{settings(), 1}, Case{PipelineSettings{}, 40}}) {
    CAPTURE(config.sample_size);
    CAPTURE(poison_at);
    const auto stream = [poison_at](std::int64_t t, bool poisoned) {
      Xoshiro256 rng(100 + static_cast<std::uint64_t>(t));  // the same noise for both
      WorkItem w = item(rng, t, false);
      if (t >= 400 && t < 900 && t % 100 == 0) w.values[1] += 8.0;
      if (poisoned && t == poison_at) w.values[1] = 1e30;
      return w;
    };
    auto poisoned = StreamPipeline::create(config, "t", "s", DIM).value();
    auto control = StreamPipeline::create(config, "t", "s", DIM).value();
    int spike_alerts[2] = {0, 0};
    int other_alerts[2] = {0, 0};
    for (std::int64_t t = 0; t < 1000; ++t) {
      const bool spike = t >= 400 && t < 900 && t % 100 == 0;
      auto a = poisoned->process(stream(t, true));
      auto b = control->process(stream(t, false));
      REQUIRE(a);
      REQUIRE(b);
      (spike ? spike_alerts : other_alerts)[0] += a->alert.has_value() ? 1 : 0;
      (spike ? spike_alerts : other_alerts)[1] += b->alert.has_value() ? 1 : 0;
    }
    MESSAGE("spike alerts: poisoned ", spike_alerts[0], ", control ", spike_alerts[1], "; other alerts: poisoned ",
            other_alerts[0], ", control ", other_alerts[1], "; clipped: poisoned ", poisoned->normalizer_clipped(),
            ", control ", control->normalizer_clipped());
    REQUIRE(spike_alerts[1] == 5);  // the control stream catches every spike
    CHECK(spike_alerts[0] >= spike_alerts[1] - 1);
    CHECK(other_alerts[0] <= other_alerts[1] + 2);
    // The extreme value was clipped, and counted.
    CHECK(poisoned->normalizer_clipped() == control->normalizer_clipped() + 1);
  }
}

TEST_CASE("restore refuses a forest other than the configured one before building it") {
  auto p = make();
  Xoshiro256 rng(7);
  for (std::int64_t t = 0; t < 50; ++t) REQUIRE(p->process(item(rng, t)));
  const auto state = state_of(*p);
  auto narrow = settings();
  narrow.max_dimension = DIM - 1;
  CHECK(StreamPipeline::restore(narrow, state).error().field == "stream.dimension");
  auto fewer = settings();
  fewer.num_trees = 60;
  CHECK(StreamPipeline::restore(fewer, state).error().field == "forest.config.num_trees");
  auto smaller = settings();
  smaller.sample_size = 32;
  CHECK(StreamPipeline::restore(smaller, state).error().field == "forest.config.sample_size");
}

TEST_CASE("a small state cannot declare a forest of gigabytes") {
  // Found with tests/fuzz/state_file_fuzz.cpp
  // (tests/fuzz/regressions/state_file/big_forest.json): 35 KB
  // of JSON declaring 1000 empty trees of 2048 samples in 1000 dimensions made restore
  // reserve 8 GB and run for minutes. Here 52 KB declare 4 GB. The daemon's configuration
  // bounds the forest.
  auto p = make();
  auto state = state_of(*p);
  constexpr std::uint32_t WIDE = 500;
  state.set_dimension(WIDE);
  auto* normalizer = state.mutable_forest()->mutable_normalizer();
  normalizer->set_count(1);
  for (auto* values : {normalizer->mutable_mean(), normalizer->mutable_m2(), normalizer->mutable_min(),
                       normalizer->mutable_max()}) {
    values->Resize(WIDE, 0.0);
  }
  auto* forest = state.mutable_forest()->mutable_forest()->mutable_forest();
  forest->mutable_config()->set_dimension(WIDE);
  forest->mutable_config()->set_num_trees(1000);
  forest->mutable_config()->set_sample_size(2048);
  forest->clear_trees();
  for (int t = 0; t < 1000; ++t) {
    auto* tree = forest->add_trees();
    for (std::uint64_t w = 1; w <= 4; ++w) tree->add_rng(w);
  }
  CHECK(state.ByteSizeLong() < 64 * 1024);
  auto wide = settings();
  wide.max_dimension = WIDE;
  const auto restored = StreamPipeline::restore(wide, state);
  REQUIRE_FALSE(restored);
  CHECK(restored.error().field == "forest.config.num_trees");
}

TEST_CASE("the model fingerprint changes with what defines the model, not with live settings") {
  const auto base = model_fingerprint(settings());
  auto s = settings();
  s.z_factor = 7;
  s.min_score = 2;
  s.top_features = 5;
  s.severity_thresholds = {0.1, 0.2, 0.3, 0.4};
  CHECK(model_fingerprint(s) == base);
  for (auto change : {+[](PipelineSettings& p) { p.seed += 1; }, +[](PipelineSettings& p) { p.num_trees = 60; },
                      +[](PipelineSettings& p) { p.sample_size = 128; },
                      +[](PipelineSettings& p) { p.normalizer = "min_max"; },
                      +[](PipelineSettings& p) { p.time_decay = 0.5; }}) {
    auto other = settings();
    change(other);
    CHECK(model_fingerprint(other) != base);
  }
}

TEST_CASE("a stream's forest is seeded with the library's tenant_seed of tenant, NUL, stream") {
  const auto seed_of = [](const std::string& tenant, const std::string& stream) {
    auto p = StreamPipeline::create(settings(), tenant, stream, DIM);
    REQUIRE(p);
    return state_of(**p).forest().forest().forest().config().seed();
  };
  using namespace std::string_literals;
  CHECK(seed_of("t", "s") == forest::tenant_seed(settings().seed, "t\0s"s));
  // The same stream gets the same forest after a restart; the NUL keeps "ab"/"c" and
  // "a"/"bc" apart.
  CHECK(seed_of("t", "s") == seed_of("t", "s"));
  CHECK(seed_of("ab", "c") != seed_of("a", "bc"));
  CHECK(seed_of("t", "s") != seed_of("t", "s2"));
}
