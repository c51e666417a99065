#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/drift/pot_detector.hpp"

using anomstream::ErrorCode;
using anomstream::Xoshiro256;
using namespace anomstream::drift;

namespace {

double standard_normal(Xoshiro256& rng) {
  const double u = 1.0 - rng.uniform01();
  const double v = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

double exponential(Xoshiro256& rng) { return -std::log(1.0 - rng.uniform01()); }

PotDetector make(const PotConfig& config) {
  auto d = PotDetector::create(config);
  REQUIRE(d.has_value());
  return std::move(*d);
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

void expect_corrupt(const PotSnapshot& s, const char* field) {
  auto r = PotDetector::restore(s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::corrupt_snapshot);
  CHECK(r.error().field == field);
}

bool same_verdict(const PotVerdict& a, const PotVerdict& b) {
  return a.status == b.status && same_bits(a.upper_threshold, b.upper_threshold) &&
         same_bits(a.lower_threshold, b.lower_threshold);
}

}  // namespace

// For Exp(1) the excesses over any t are exactly exponential (gamma = 0), so with an
// exact fit P(X > z_q) = q. Fit noise with ~200 excesses moves sigma by ~7% and the
// alarm probability by ~exp(+-3 x 0.07) ~ +-25%; the count (mean 100) has a Poisson
// sd of 10. A factor of 2 leaves several standard deviations on both sides. This holds
// when alarms are modelled (discard_anomalies off). With the references' default of
// discarding them, the stored excesses are truncated at z_q - t, which biases sigma
// down and z_q with it: for Exp(1) at level 0.98 and q = 1e-3 the fixed point
// sigma = E[Y | Y < sigma ln 20] is sigma ~ 0.72, i.e. an alarm rate of
// 0.02 exp(-0.72 ln 20) ~ 2.3 q, and the 200-excess ring lets it wander further.
TEST_CASE("pot alarm rate on 1e5 Exp(1) draws with q = 1e-3 is within a factor of 2 of q") {
  for (PotReference reference : {PotReference::libspot, PotReference::spot_paper}) {
    for (bool discard : {false, true}) {
      PotConfig c;
      c.q = 1e-3;
      c.n_init = 2'000;
      c.reference = reference;
      c.discard_anomalies = discard;
      auto d = make(c);
      Xoshiro256 rng(2024);
      constexpr int N = 100'000;
      int alarms = 0;
      for (int i = 0; i < N; ++i) {
        auto v = d.update(exponential(rng));
        REQUIRE(v.has_value());
        alarms += v->alarm() ? 1 : 0;
      }
      const double rate = static_cast<double>(alarms) / N;
      const std::string label = std::string(reference == PotReference::libspot ? "libspot" : "spot_paper") +
                                (discard ? ", alarms discarded" : ", alarms modelled");
      MESSAGE(label << ": alarm rate " << rate << " (q = 0.001), refits " << d.refits());
      if (discard) {
        CHECK(rate > c.q);  // the truncation bias above
      } else {
        CHECK(rate > c.q / 2.0);
        CHECK(rate < c.q * 2.0);
      }
    }
  }
}

// x_t = Exp(1) + a level rising by 10 over the stream. SPOT's fixed peaks threshold is
// overrun (ever more excesses, a tail that lags the level); DSPOT models x minus the
// mean of the last 50 points, whose tail stays that of Exp(1) minus ~1, so its rate
// stays within a factor 2 of q (expected count 50, Poisson sd 7) while SPOT's leaves
// that band. Alarms are modelled, as in the stationary test above.
TEST_CASE("dspot keeps its alarm rate on a drifting stream where spot does not") {
  constexpr int N = 50'000;
  int alarms_spot = 0;
  int alarms_dspot = 0;
  PotConfig c;
  c.q = 1e-3;
  c.discard_anomalies = false;
  auto spot = make(c);
  c.depth = 50;
  c.n_init = 1'050;
  auto dspot = make(c);
  Xoshiro256 rng(77);
  for (int i = 0; i < N; ++i) {
    const double x = exponential(rng) + 10.0 * i / N;
    alarms_spot += spot.update(x)->alarm() ? 1 : 0;
    alarms_dspot += dspot.update(x)->alarm() ? 1 : 0;
  }
  const double expected = c.q * N;
  MESSAGE("alarms on the drifting stream: spot " << alarms_spot << ", dspot " << alarms_dspot
                                                 << " (q N = " << expected << ")");
  CHECK(alarms_spot > 2 * expected);
  CHECK(alarms_dspot > expected / 2.0);
  CHECK(alarms_dspot < expected * 2.0);
}

TEST_CASE("pot lower tail is the mirror image of the upper tail") {
  PotConfig up;
  up.reference = PotReference::spot_paper;
  up.q = 1e-3;
  PotConfig down = up;
  down.tail = PotTail::lower;
  auto upper = make(up);
  auto lower = make(down);
  Xoshiro256 rng(8);
  int alarms = 0;
  for (int i = 0; i < 20'000; ++i) {
    const double x = standard_normal(rng) + (i % 997 == 0 ? 6.0 : 0.0);
    auto a = upper.update(x);
    auto b = lower.update(-x);
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(a->status == b->status);
    if (upper.calibrated()) CHECK(same_bits(a->upper_threshold, -b->lower_threshold));
    alarms += a->alarm() ? 1 : 0;
  }
  CHECK(alarms > 0);
}

TEST_CASE("two-sided pot alarms on spikes in both directions") {
  PotConfig c;
  c.tail = PotTail::two_sided;
  c.q = 1e-4;
  auto d = make(c);
  Xoshiro256 rng(10);
  for (int i = 0; i < 5'000; ++i) REQUIRE(d.update(standard_normal(rng)).has_value());
  const double up = d.upper_threshold();
  const double down = d.lower_threshold();
  // N(0,1) quantiles at 1e-4: +-3.72; the fitted thresholds must bracket the bulk.
  CHECK(up > 2.5);
  CHECK(up < 6.0);
  CHECK(down < -2.5);
  CHECK(down > -6.0);
  CHECK(d.update(9.0)->alarm());
  CHECK(d.update(-9.0)->alarm());
  CHECK_FALSE(d.update(0.0)->alarm());
}

TEST_CASE("pot leaves alarms out of the model unless discard_anomalies is off") {
  for (bool discard : {true, false}) {
    PotConfig c;
    c.discard_anomalies = discard;
    auto d = make(c);
    Xoshiro256 rng(12);
    for (int i = 0; i < 2'000; ++i) REQUIRE(d.update(standard_normal(rng)).has_value());
    const PotSideSnapshot before = d.snapshot().upper;
    auto v = d.update(50.0);
    REQUIRE(v.has_value());
    CHECK(v->alarm());
    const PotSideSnapshot after = d.snapshot().upper;
    if (discard) {
      CHECK(after == before);
    } else {
      CHECK(after.n == before.n + 1);
      CHECK(after.nt == before.nt + 1);
      CHECK(after.anomaly_threshold > before.anomaly_threshold);
    }
    CHECK(d.alarms() == 1);
  }
}

TEST_CASE("pot calibrates on n_init points and restarts when the batch has no excess") {
  PotConfig c;
  c.n_init = 200;
  auto d = make(c);
  for (int i = 0; i < 200; ++i) {
    auto v = d.update(1.0);  // ties: nothing lies above the 98% quantile
    REQUIRE(v.has_value());
    CHECK(v->status == PotStatus::calibrating);
    CHECK(std::isnan(v->upper_threshold));
  }
  CHECK_FALSE(d.calibrated());
  Xoshiro256 rng(1);
  for (int i = 0; i < 199; ++i) CHECK(d.update(standard_normal(rng))->status == PotStatus::calibrating);
  auto last = d.update(standard_normal(rng));
  REQUIRE(last.has_value());
  CHECK(last->status == PotStatus::calibrating);
  CHECK(d.calibrated());
  CHECK(std::isfinite(last->upper_threshold));
  CHECK(std::isnan(last->lower_threshold));
  CHECK(d.update(0.0)->status == PotStatus::normal);
}

TEST_CASE("pot rejects non-finite input and leaves its state unchanged") {
  PotConfig c;
  c.n_init = 200;
  auto d = make(c);
  Xoshiro256 rng(2);
  for (int phase = 0; phase < 2; ++phase) {  // while calibrating, then calibrated
    for (int i = 0; i < 150; ++i) REQUIRE(d.update(standard_normal(rng)).has_value());
    const PotSnapshot before = d.snapshot();
    for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity()}) {
      auto v = d.update(bad);
      REQUIRE_FALSE(v.has_value());
      CHECK(v.error().code == ErrorCode::non_finite);
      CHECK(v.error().field == "x");
    }
    CHECK(d.snapshot() == before);
  }
  CHECK(d.calibrated());
}

TEST_CASE("pot create names the invalid config field") {
  const auto check_field = [](const PotConfig& c, const char* field) {
    auto d = PotDetector::create(c);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().code == ErrorCode::invalid_config);
    CHECK(d.error().field == field);
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  PotConfig c;
  for (double q : {0.0, -1e-3, 0.03, 0.5, nan}) {
    c.q = q;
    check_field(c, "q");
  }
  c = {};
  for (double level : {0.4, 1.0, nan}) {
    c.level = level;
    check_field(c, "level");
  }
  c = {};
  c.depth = 100'001;
  check_field(c, "depth");
  c = {};
  c.n_init = 99;  // level 0.98 needs at least 2 / 0.02 = 100 modelled points
  check_field(c, "n_init");
  c.depth = 10;
  c.n_init = 109;
  check_field(c, "n_init");
  c = {};
  c.n_init = 10'000'001;
  check_field(c, "n_init");
  c = {};
  c.max_excess = 9;
  check_field(c, "max_excess");
  c.max_excess = 1'000'001;
  check_field(c, "max_excess");
  c = {};
  c.tail = static_cast<PotTail>(7);
  check_field(c, "tail");
  c = {};
  c.reference = static_cast<PotReference>(7);
  check_field(c, "reference");
}

TEST_CASE("restored pot continues bit-for-bit like the original") {
  PotConfig ring;  // small ring: wraps and rescans (libspot's sum-of-squares quirk)
  ring.max_excess = 10;
  ring.q = 1e-3;
  PotConfig dspot;
  dspot.reference = PotReference::spot_paper;
  dspot.tail = PotTail::two_sided;
  dspot.depth = 20;
  dspot.n_init = 520;
  dspot.q = 1e-3;
  PotConfig libspot1 = dspot;  // running window mean, sorted-batch calibration
  libspot1.reference = PotReference::libspot1;
  libspot1.max_excess = 10;
  for (const PotConfig& c : {ring, dspot, libspot1}) {
    // While the DSPOT window fills, during calibration, then in the stream.
    for (int split : {5, 300, 3'000}) {
      CAPTURE(static_cast<int>(c.reference));
      CAPTURE(split);
      auto original = make(c);
      Xoshiro256 rng(99);
      const auto draw = [&rng](int i) {
        return standard_normal(rng) + 0.001 * i + (i % 500 == 0 ? 7.0 : 0.0);
      };
      int i = 0;
      for (; i < split; ++i) REQUIRE(original.update(draw(i)).has_value());
      const PotSnapshot snap = original.snapshot();
      auto restored = PotDetector::restore(snap);
      REQUIRE(restored.has_value());
      CHECK(restored->snapshot() == snap);
      int excesses = 0;
      int alarms = 0;
      for (; i < split + 4'000; ++i) {
        const double x = draw(i);
        auto a = original.update(x);
        auto b = restored->update(x);
        REQUIRE(a.has_value());
        REQUIRE(b.has_value());
        CHECK(same_verdict(*a, *b));
        excesses += a->status == PotStatus::excess ? 1 : 0;
        alarms += a->alarm() ? 1 : 0;
      }
      CHECK(excesses > 0);  // refits were compared
      CHECK(alarms > 0);
      CHECK(original.snapshot() == restored->snapshot());
      CHECK(original.drift() == restored->drift());
    }
  }
}

TEST_CASE("pot restore rejects snapshots that break the model invariants") {
  PotConfig c;
  c.depth = 10;
  c.n_init = 300;
  c.max_excess = 20;
  auto d = make(c);
  Xoshiro256 rng(6);
  for (int i = 0; i < 2'000; ++i) REQUIRE(d.update(standard_normal(rng)).has_value());
  const PotSnapshot good = d.snapshot();
  REQUIRE(PotDetector::restore(good).has_value());
  PotSnapshot s = good;
  s.config.q = 0.5;
  expect_corrupt(s, "config.q");
  s = good;
  s.batch = {1.0};
  expect_corrupt(s, "batch");
  s = good;
  s.upper.excesses.pop_back();
  expect_corrupt(s, "upper.excesses");
  s = good;
  s.upper.excesses[0] = -1.0;
  expect_corrupt(s, "upper.excesses");
  s = good;
  s.upper.cursor = c.max_excess;
  expect_corrupt(s, "upper.cursor");
  s = good;
  s.upper.sum += 1.0;
  expect_corrupt(s, "upper.sum");
  s = good;
  s.upper.nt = s.upper.n + 1;
  expect_corrupt(s, "upper.nt");
  s = good;
  s.upper.anomaly_threshold = std::numeric_limits<double>::infinity();
  expect_corrupt(s, "upper.thresholds");
  s = good;
  s.lower.n = 5;
  expect_corrupt(s, "tail");
  s = good;
  s.window.pop_back();
  expect_corrupt(s, "window");
  s = good;
  s.window_sum += 1.0;
  expect_corrupt(s, "window_sum");
  s = good;
  s.window_cursor = c.depth;
  expect_corrupt(s, "window_cursor");
  s = {};
  s.config = c;
  s.batch.assign(c.n_init, 0.0);
  expect_corrupt(s, "batch");
  s.batch = {std::numeric_limits<double>::quiet_NaN()};
  expect_corrupt(s, "batch");
  s = good;
  s.window_mean = 0.5;  // only libspot1 keeps a running mean
  expect_corrupt(s, "window_sum");
}

TEST_CASE("libspot1 restore checks the window it fills before the batch and its running mean") {
  PotConfig c;
  c.reference = PotReference::libspot1;
  c.depth = 10;
  c.n_init = 300;
  auto d = make(c);
  Xoshiro256 rng(12);
  for (int i = 0; i < 50; ++i) REQUIRE(d.update(standard_normal(rng)).has_value());
  const PotSnapshot batching = d.snapshot();
  REQUIRE_FALSE(batching.calibrated);
  CHECK(batching.window.size() == c.depth);
  CHECK(batching.batch.size() == 40);
  REQUIRE(PotDetector::restore(batching).has_value());
  PotSnapshot s = batching;
  s.window.pop_back();  // a batch may only start once the window is full
  expect_corrupt(s, "window");
  s = batching;
  s.window_mean += 1.0;
  expect_corrupt(s, "window_mean");
  s = batching;
  s.window_sum = 1.0;
  expect_corrupt(s, "window_mean");
  s = batching;
  s.batch.assign(c.n_init - c.depth, 0.0);  // a full batch would have calibrated
  expect_corrupt(s, "batch");
}

// libspot 1.3.1's batch is the n_init - depth points after the window, each taken
// relative to the window mean before it; the peaks threshold is the sorted batch at
// floor(level n) and the tail exponential with the mean excess as its scale.
TEST_CASE("libspot1 calibrates on the sorted batch with an exponential tail") {
  PotConfig c;
  c.reference = PotReference::libspot1;
  c.n_init = 1'000;
  c.q = 1e-3;
  auto d = make(c);
  Xoshiro256 rng(5);
  std::vector<double> batch;
  for (std::uint64_t i = 0; i < c.n_init; ++i) {
    batch.push_back(exponential(rng));
    REQUIRE(d.update(batch.back()).has_value());
  }
  REQUIRE(d.calibrated());
  std::sort(batch.begin(), batch.end());
  const double t = batch[980];
  double sum = 0.0;
  for (std::size_t i = 981; i < batch.size(); ++i) sum += batch[i] - t;
  const double sigma = sum / 19.0;
  const PotSnapshot s = d.snapshot();
  CHECK(s.upper.excess_threshold == t);
  CHECK(s.upper.nt == 19);
  CHECK(s.upper.gamma == 0.0);
  CHECK(s.upper.sigma == doctest::Approx(sigma).epsilon(1e-12));
  CHECK(d.upper_threshold() == doctest::Approx(t - sigma * std::log(1e-3 * 1000.0 / 19.0)).epsilon(1e-12));
}

TEST_CASE("pot memory is fixed by max_excess and depth once calibrated") {
  PotConfig c;
  c.tail = PotTail::two_sided;
  c.depth = 100;
  c.n_init = 1'100;
  c.max_excess = 300;
  auto d = make(c);
  const std::size_t calibrating = d.memory_bytes();
  Xoshiro256 rng(4);
  for (int i = 0; i < 1'100; ++i) REQUIRE(d.update(standard_normal(rng)).has_value());
  const std::size_t steady = d.memory_bytes();
  MESSAGE("pot memory: calibrating " << calibrating << " B, calibrated " << steady << " B");
  CHECK(steady == sizeof(PotDetector) + 8 * (2 * 300 + 100));
  CHECK(calibrating == steady + 8 * 1'100);
  for (int i = 0; i < 20'000; ++i) REQUIRE(d.update(standard_normal(rng)).has_value());
  CHECK(d.memory_bytes() == steady);
}
