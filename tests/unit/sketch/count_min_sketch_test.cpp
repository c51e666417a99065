#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "allocation_counter.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/sketch/count_min_sketch.hpp"
#include "zipf.hpp"

using anomstream::ErrorCode;
using anomstream::sketch::CountMinSketch;
using anomstream::sketch::CountMinSketchConfig;
using anomstream::key_from_seed;

namespace {

CountMinSketch make(double epsilon, double delta, bool conservative, std::uint64_t seed = 1) {
  auto sketch = CountMinSketch::create(CountMinSketchConfig{epsilon, delta, conservative,
                                                            key_from_seed(seed)});
  REQUIRE(sketch);
  return *std::move(sketch);
}

void check_invalid(const CountMinSketchConfig& config, std::string_view field) {
  auto sketch = CountMinSketch::create(config);
  REQUIRE_FALSE(sketch);
  CHECK(sketch.error().code == ErrorCode::invalid_config);
  CHECK(sketch.error().field == field);
}

}  // namespace

TEST_CASE("count-min width is ceil(e/epsilon) and depth ceil(ln(1/delta))") {
  // e/0.01 = 271.83 -> 272; ln(100) = 4.61 -> 5.
  const auto a = make(0.01, 0.01, false);
  CHECK(a.width() == 272);
  CHECK(a.depth() == 5);
  // e/0.001 = 2718.3 -> 2719; ln(50) = 3.91 -> 4.
  const auto b = make(0.001, 0.02, false);
  CHECK(b.width() == 2719);
  CHECK(b.depth() == 4);
  // ln(2) = 0.69 -> 1 row.
  CHECK(make(0.5, 0.5, false).depth() == 1);
  CHECK(a.memory_bytes() >= 8 * 272 * 5);
  CHECK(a.memory_bytes() < 8 * 272 * 5 + 256);
}

TEST_CASE("count-min rejects each out-of-range config field by name") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  check_invalid({0.0, 0.01, false, key_from_seed(1)}, "epsilon");
  check_invalid({1e-6, 0.01, false, key_from_seed(1)}, "epsilon");
  check_invalid({0.6, 0.01, false, key_from_seed(1)}, "epsilon");
  check_invalid({nan, 0.01, false, key_from_seed(1)}, "epsilon");
  check_invalid({0.01, 0.0, false, key_from_seed(1)}, "delta");
  check_invalid({0.01, 1e-13, false, key_from_seed(1)}, "delta");
  check_invalid({0.01, 0.6, false, key_from_seed(1)}, "delta");
  check_invalid({0.01, nan, false, key_from_seed(1)}, "delta");
  auto error = CountMinSketch::create({0.6, 0.01, false, key_from_seed(1)}).error();
  CHECK(error.message() == "invalid_config: epsilon: must be in [1e-05, 0.5] (got 0.6)");
}

TEST_CASE("count-min never underestimates a Zipf(1.1) stream and exceeds epsilon*N for at most a delta fraction") {
  // 1e6 draws of Zipf(1.1) over 2^20 ranks. Cormode-Muthukrishnan: for every item,
  // estimate >= truth, and estimate - truth > epsilon*N with probability <= delta over
  // the hash draw, so over all items the fraction above epsilon*N is about delta or
  // less (Markov per row, e^-depth over rows). Checked over every rank in the universe,
  // seen or not.
  constexpr std::size_t N = 1'000'000;
  constexpr double EPSILON = 0.001;
  constexpr double DELTA = 0.01;
  const auto stream = anomstream::sketch::test::zipf_stream(N, std::size_t{1} << 20, 1.1, 11);
  auto plain = make(EPSILON, DELTA, false);
  auto conservative = make(EPSILON, DELTA, true);
  for (const std::uint64_t item : stream.items) {
    plain.update(item);
    conservative.update(item);
  }
  REQUIRE(plain.total() == N);
  REQUIRE(conservative.total() == N);
  CHECK(plain.error_bound() == doctest::Approx(EPSILON * N));

  std::size_t under = 0, plain_over = 0, conservative_over = 0, conservative_above_plain = 0;
  double plain_excess = 0, conservative_excess = 0;
  for (std::uint64_t rank = 0; rank < stream.counts.size(); ++rank) {
    const std::uint64_t truth = stream.counts[rank];
    const std::uint64_t p = plain.estimate(rank);
    const std::uint64_t c = conservative.estimate(rank);
    under += (p < truth) + (c < truth);
    conservative_above_plain += c > p;
    plain_over += static_cast<double>(p - truth) > EPSILON * N;
    conservative_over += static_cast<double>(c - truth) > EPSILON * N;
    plain_excess += static_cast<double>(p - truth);
    conservative_excess += static_cast<double>(c - truth);
  }
  const auto items = static_cast<double>(stream.counts.size());
  MESSAGE("count-min eps=0.001 delta=0.01 Zipf(1.1) N=1e6: fraction over eps*N plain "
          << plain_over / items << ", conservative " << conservative_over / items
          << "; mean overestimate plain " << plain_excess / items << ", conservative "
          << conservative_excess / items);
  CHECK(under == 0);
  CHECK(static_cast<double>(plain_over) <= DELTA * items);
  CHECK(static_cast<double>(conservative_over) <= DELTA * items);
  // Conservative update only ever raises counters to the new minimum, so no counter
  // (hence no estimate) exceeds the plain sketch's under the same key.
  CHECK(conservative_above_plain == 0);
  // Each row overestimates by (N - f)/width in expectation; the row minimum by less.
  CHECK(plain_excess / items <= static_cast<double>(N) / static_cast<double>(plain.width()));
}

TEST_CASE("count-min with one row exceeds epsilon*N far more often than delta") {
  // The check above has teeth only if depth matters: a single row fails it. With width
  // 272 on Zipf(1.1) over 2^16 ranks, a row's overestimate passes epsilon*N = 1e4
  // whenever it shares a counter with one of the ~10 items above that count (about
  // 10/272 = 3.7%, more with the tail's mass), well above e^-5 = 0.7% for five rows.
  constexpr std::size_t N = 1'000'000;
  const auto stream = anomstream::sketch::test::zipf_stream(N, std::size_t{1} << 16, 1.1, 12);
  auto one_row = make(0.01, 0.5, false);
  auto five_rows = make(0.01, 0.01, false);
  REQUIRE(one_row.depth() == 1);
  for (const std::uint64_t item : stream.items) {
    one_row.update(item);
    five_rows.update(item);
  }
  std::size_t one_over = 0, five_over = 0;
  for (std::uint64_t rank = 0; rank < stream.counts.size(); ++rank) {
    one_over += static_cast<double>(one_row.estimate(rank) - stream.counts[rank]) > 0.01 * N;
    five_over += static_cast<double>(five_rows.estimate(rank) - stream.counts[rank]) > 0.01 * N;
  }
  const auto items = static_cast<double>(stream.counts.size());
  CHECK(static_cast<double>(one_over) / items > 0.02);
  CHECK(static_cast<double>(five_over) / items <= 0.01);
}

TEST_CASE("count-min weighted updates add their weight") {
  auto sketch = make(0.01, 0.01, false);
  sketch.update(std::uint64_t{7}, 5);
  sketch.update(std::uint64_t{7}, 3);
  sketch.update(std::uint64_t{8}, 0);
  CHECK(sketch.total() == 8);
  CHECK(sketch.estimate(std::uint64_t{7}) == 8);
  CHECK(sketch.estimate(std::uint64_t{8}) == 0);
}

TEST_CASE("count-min treats a string, its bytes and a u64 with the same bytes as one item") {
  auto sketch = make(0.01, 0.01, true);
  sketch.update(std::string_view("tenant-a"), 2);
  const std::string_view text("tenant-a");
  CHECK(sketch.estimate(std::as_bytes(std::span<const char>(text.data(), text.size()))) == 2);
  const std::uint64_t value = 0x1122334455667788ULL;
  std::array<std::byte, 8> little_endian{};
  for (std::size_t i = 0; i < 8; ++i) {
    little_endian[i] = static_cast<std::byte>(value >> (8 * i));
  }
  sketch.update(value, 3);
  CHECK(sketch.estimate(std::span<const std::byte>(little_endian)) == 3);
  CHECK(sketch.estimate(std::string_view("tenant-b")) == 0);
}

TEST_CASE("count-min counter placement depends on the key") {
  auto a = make(0.01, 0.01, false, 1);
  auto b = make(0.01, 0.01, false, 1);
  auto c = make(0.01, 0.01, false, 2);
  for (std::uint64_t i = 0; i < 1000; ++i) {
    a.update(i);
    b.update(i);
    c.update(i);
  }
  CHECK(a.snapshot() == b.snapshot());
  CHECK(a.snapshot().counters != c.snapshot().counters);
}

TEST_CASE("count-min merge of two halves equals the sketch of the whole stream") {
  const auto stream = anomstream::sketch::test::zipf_stream(200'000, 50'000, 1.1, 13);
  auto whole = make(0.001, 0.01, false);
  auto first = make(0.001, 0.01, false);
  auto second = make(0.001, 0.01, false);
  for (std::size_t i = 0; i < stream.items.size(); ++i) {
    whole.update(stream.items[i]);
    (i % 2 == 0 ? first : second).update(stream.items[i]);
  }
  REQUIRE(first.merge(second));
  CHECK(first.snapshot() == whole.snapshot());
}

TEST_CASE("count-min merge of conservative sketches keeps estimates above the truth") {
  const auto stream = anomstream::sketch::test::zipf_stream(200'000, 50'000, 1.1, 14);
  auto first = make(0.001, 0.01, true);
  auto second = make(0.001, 0.01, true);
  for (std::size_t i = 0; i < stream.items.size(); ++i) {
    (i < stream.items.size() / 3 ? first : second).update(stream.items[i]);
  }
  REQUIRE(first.merge(second));
  CHECK(first.total() == stream.items.size());
  std::size_t under = 0;
  for (std::uint64_t rank = 0; rank < stream.counts.size(); ++rank) {
    under += first.estimate(rank) < stream.counts[rank];
  }
  CHECK(under == 0);
}

TEST_CASE("count-min refuses to merge sketches of another shape, rule or key") {
  auto base = make(0.01, 0.01, false, 1);
  const auto check = [&](const CountMinSketch& other, std::string_view field) {
    auto status = base.merge(other);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::incompatible);
    CHECK(status.error().field == field);
  };
  check(make(0.02, 0.01, false, 1), "shape");
  check(make(0.01, 0.001, false, 1), "shape");
  check(make(0.01, 0.01, true, 1), "conservative_update");
  check(make(0.01, 0.01, false, 2), "key");
  CHECK(base.total() == 0);
}

TEST_CASE("a restored count-min continues bit for bit") {
  for (const bool conservative : {false, true}) {
    INFO("conservative " << conservative);
    const auto stream = anomstream::sketch::test::zipf_stream(100'000, 20'000, 1.1, 15);
    auto original = make(0.005, 0.01, conservative);
    for (std::size_t i = 0; i < 50'000; ++i) original.update(stream.items[i]);
    auto restored = CountMinSketch::restore(original.snapshot());
    REQUIRE(restored);
    CHECK(restored->snapshot() == original.snapshot());
    for (std::size_t i = 50'000; i < stream.items.size(); ++i) {
      original.update(stream.items[i]);
      restored->update(stream.items[i]);
    }
    CHECK(restored->snapshot() == original.snapshot());
    for (std::uint64_t rank = 0; rank < 100; ++rank) {
      CHECK(restored->estimate(rank) == original.estimate(rank));
    }
  }
}

TEST_CASE("count-min restore rejects snapshots that break its invariants") {
  auto sketch = make(0.01, 0.01, false);
  for (std::uint64_t i = 0; i < 100; ++i) sketch.update(i);
  const auto good = sketch.snapshot();
  const auto check = [](const anomstream::sketch::CountMinSketchSnapshot& bad,
                        std::string_view field) {
    auto restored = CountMinSketch::restore(bad);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
    CHECK(restored.error().field == field);
  };
  auto bad = good;
  bad.epsilon = 0.0;
  check(bad, "epsilon");
  bad = good;
  bad.delta = 0.9;
  check(bad, "delta");
  bad = good;
  bad.counters.pop_back();
  check(bad, "counters");
  bad = good;
  bad.counters[3] += 1;  // that row now sums to total + 1
  check(bad, "counters");
  bad = good;
  bad.total += 1;
  check(bad, "counters");
  bad = good;
  bad.conservative_update = true;  // row sums == total is allowed for conservative...
  CHECK(CountMinSketch::restore(bad));
  bad.total -= 1;  // ...but not a row summing past the total
  check(bad, "counters");
}

TEST_CASE("count-min update and estimate do not allocate") {
  auto sketch = make(0.001, 0.01, true);
  const std::size_t before = anomstream::sketch::test::allocation_count();
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    sketch.update(i);
    sketch.update(std::string_view("key"));
    sum += sketch.estimate(i);
  }
  CHECK(anomstream::sketch::test::allocation_count() == before);
  CHECK(sum >= 10'000);
}
