#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "allocation_counter.hpp"
#include "anomstream/sketch/bloom_filter.hpp"
#include "anomstream/sketch/sketch_key.hpp"

using anomstream::ErrorCode;
using anomstream::sketch::BloomFilter;
using anomstream::sketch::BloomFilterConfig;
using anomstream::sketch::key_from_seed;

namespace {

BloomFilter make(std::uint64_t n, double p, std::uint64_t seed = 1) {
  auto filter = BloomFilter::create(BloomFilterConfig{n, p, key_from_seed(seed)});
  REQUIRE(filter);
  return *std::move(filter);
}

// Items [0, n) are added; absent keys are drawn from [2^40, 2^40 + absent).
constexpr std::uint64_t ABSENT_BASE = std::uint64_t{1} << 40;

}  // namespace

TEST_CASE("bloom filter size follows n ln(1/p)/ln(2)^2 bits and log2(1/p) probes") {
  // 1e6 * ln(100) / ln(2)^2 = 9,585,058.4 -> 9,585,059 bits; log2(100) = 6.64 -> 7.
  const auto one_percent = make(1'000'000, 0.01);
  CHECK(one_percent.bit_count() == 9'585'059);
  CHECK(one_percent.hash_count() == 7);
  CHECK(one_percent.memory_bytes() >= 9'585'059 / 8);
  CHECK(one_percent.memory_bytes() < 9'585'059 / 8 + 256);
  // 1000 * ln(1000) / ln(2)^2 = 14,377.6 -> 14,378 bits; log2(1000) = 9.97 -> 10.
  const auto tenth_percent = make(1000, 0.001);
  CHECK(tenth_percent.bit_count() == 14'378);
  CHECK(tenth_percent.hash_count() == 10);
  CHECK(make(10, 0.5).hash_count() == 1);
}

TEST_CASE("bloom filter rejects each out-of-range config field by name") {
  const auto check = [](const BloomFilterConfig& config, std::string_view field) {
    auto filter = BloomFilter::create(config);
    REQUIRE_FALSE(filter);
    CHECK(filter.error().code == ErrorCode::invalid_config);
    CHECK(filter.error().field == field);
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  check({0, 0.01, key_from_seed(1)}, "expected_items");
  check({(std::uint64_t{1} << 32) + 1, 0.01, key_from_seed(1)}, "expected_items");
  // 1e9 items at 1% need 9.6e9 bits, past the 2^32-bit limit.
  check({1'000'000'000, 0.01, key_from_seed(1)}, "expected_items");
  check({1000, 0.0, key_from_seed(1)}, "false_positive_rate");
  check({1000, 1e-10, key_from_seed(1)}, "false_positive_rate");
  check({1000, 0.6, key_from_seed(1)}, "false_positive_rate");
  check({1000, nan, key_from_seed(1)}, "false_positive_rate");
  CHECK(BloomFilter::create({1000, 0.6, key_from_seed(1)}).error().message() ==
        "invalid_config: false_positive_rate: must be in [1e-09, 0.5] (got 0.6)");
}

TEST_CASE("bloom filter has no false negatives and its false-positive rate is within 1.25x of the target") {
  // n items added to a filter sized for n, then 1e6 never-added keys queried. Each
  // query is a Bernoulli(p') trial with p' = (1 - e^{-kn/m})^k ~ p; at p = 1% the count
  // has standard deviation sqrt(1e6 * 0.01) = 100 (1% of the mean), at p = 0.1% 3.2%,
  // so 1.25x (and 0.8x below) is more than 7 standard deviations away.
  struct Case {
    std::uint64_t n;
    double p;
  };
  for (const Case c : {Case{1'000'000, 0.01}, Case{100'000, 0.001}}) {
    INFO("n=" << c.n << " p=" << c.p);
    auto filter = make(c.n, c.p);
    for (std::uint64_t i = 0; i < c.n; ++i) filter.add(i);
    std::size_t missing = 0;
    for (std::uint64_t i = 0; i < c.n; ++i) missing += !filter.contains(i);
    CHECK(missing == 0);
    constexpr std::uint64_t ABSENT = 1'000'000;
    std::size_t false_positives = 0;
    for (std::uint64_t i = 0; i < ABSENT; ++i) false_positives += filter.contains(ABSENT_BASE + i);
    const double measured = static_cast<double>(false_positives) / ABSENT;
    MESSAGE("bloom n=" << c.n << " p=" << c.p << ": measured FPR " << measured << " ("
                       << measured / c.p << "x target), fill-based estimate "
                       << filter.current_false_positive_rate());
    CHECK(measured <= 1.25 * c.p);
    CHECK(measured >= 0.8 * c.p);
    // The fill-based figure predicts the measurement within the same noise.
    CHECK(filter.current_false_positive_rate() == doctest::Approx(measured).epsilon(0.1));
    CHECK(filter.items_added() == c.n);
  }
}

TEST_CASE("bloom filter false-positive rate grows when overfilled and the fill shows it") {
  auto filter = make(10'000, 0.01);
  for (std::uint64_t i = 0; i < 30'000; ++i) filter.add(i);
  std::size_t false_positives = 0;
  for (std::uint64_t i = 0; i < 100'000; ++i) false_positives += filter.contains(ABSENT_BASE + i);
  const double measured = static_cast<double>(false_positives) / 100'000;
  // (1 - e^{-7*3e4/95,851})^7 = 0.886^7 = 0.43: three times the load, far past 1%.
  CHECK(measured > 0.3);
  CHECK(filter.current_false_positive_rate() == doctest::Approx(measured).epsilon(0.1));
}

TEST_CASE("bloom filter add reports whether the item was certainly new") {
  auto filter = make(1000, 0.01);
  CHECK(filter.add(std::uint64_t{5}));
  CHECK_FALSE(filter.add(std::uint64_t{5}));
  CHECK(filter.items_added() == 2);
}

TEST_CASE("bloom filter treats a string, its bytes and a u64 with the same bytes as one item") {
  auto filter = make(1000, 0.001);
  const std::string_view text("203.0.113.7");
  filter.add(text);
  CHECK(filter.contains(std::as_bytes(std::span<const char>(text.data(), text.size()))));
  const std::uint64_t value = 0xa1b2c3d4e5f60718ULL;
  std::array<std::byte, 8> little_endian{};
  for (std::size_t i = 0; i < 8; ++i) little_endian[i] = static_cast<std::byte>(value >> (8 * i));
  filter.add(std::span<const std::byte>(little_endian));
  CHECK(filter.contains(value));
}

TEST_CASE("bloom filter bit placement depends on the key") {
  auto a = make(1000, 0.01, 1);
  auto b = make(1000, 0.01, 2);
  for (std::uint64_t i = 0; i < 100; ++i) {
    a.add(i);
    b.add(i);
  }
  CHECK(a.snapshot().words != b.snapshot().words);
}

TEST_CASE("bloom filter merge is the filter of the union") {
  auto whole = make(20'000, 0.01);
  auto left = make(20'000, 0.01);
  auto right = make(20'000, 0.01);
  for (std::uint64_t i = 0; i < 20'000; ++i) {
    whole.add(i);
    (i % 3 == 0 ? left : right).add(i);
  }
  REQUIRE(left.merge(right));
  CHECK(left.snapshot() == whole.snapshot());
}

TEST_CASE("bloom filter refuses to merge another shape or key") {
  auto base = make(1000, 0.01, 1);
  const auto check = [&](const BloomFilter& other, std::string_view field) {
    auto status = base.merge(other);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::incompatible);
    CHECK(status.error().field == field);
  };
  check(make(1001, 0.01, 1), "shape");
  check(make(1000, 0.02, 1), "shape");
  check(make(1000, 0.01, 2), "key");
}

TEST_CASE("a restored bloom filter continues bit for bit") {
  auto original = make(10'000, 0.01);
  for (std::uint64_t i = 0; i < 5'000; ++i) original.add(i);
  auto restored = BloomFilter::restore(original.snapshot());
  REQUIRE(restored);
  CHECK(restored->snapshot() == original.snapshot());
  for (std::uint64_t i = 5'000; i < 9'000; ++i) {
    CHECK(restored->add(i) == original.add(i));
  }
  CHECK(restored->snapshot() == original.snapshot());
}

TEST_CASE("bloom filter restore rejects snapshots that break its invariants") {
  auto filter = make(100, 0.01);  // 959 bits: the last word uses 959 - 896 = 63 bits
  for (std::uint64_t i = 0; i < 50; ++i) filter.add(i);
  const auto good = filter.snapshot();
  const auto check = [](const anomstream::sketch::BloomFilterSnapshot& bad,
                        std::string_view field) {
    auto restored = BloomFilter::restore(bad);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ErrorCode::corrupt_snapshot);
    CHECK(restored.error().field == field);
  };
  auto bad = good;
  bad.expected_items = 0;
  check(bad, "expected_items");
  bad = good;
  bad.false_positive_rate = 0.9;
  check(bad, "false_positive_rate");
  bad = good;
  bad.words.push_back(0);
  check(bad, "words");
  bad = good;
  bad.words.back() |= std::uint64_t{1} << 63;  // bit 959: past the end
  check(bad, "words");
  bad = good;
  bad.words.back() |= std::uint64_t{1} << 62;  // bit 958: the last real bit
  CHECK(BloomFilter::restore(bad));
}

TEST_CASE("bloom filter add and contains do not allocate") {
  auto filter = make(100'000, 0.01);
  const std::size_t before = anomstream::sketch::test::allocation_count();
  std::size_t hits = 0;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    filter.add(i);
    hits += filter.contains(i);
    hits += filter.contains(std::string_view("absent"));
  }
  CHECK(anomstream::sketch::test::allocation_count() == before);
  CHECK(hits >= 10'000);
}
