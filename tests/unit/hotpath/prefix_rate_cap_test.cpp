#include <doctest/doctest.h>

#include <array>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "anomstream/hotpath/prefix_rate_cap.hpp"
#include "test_scale.hpp"

using anomstream::SipKey;
using anomstream::hotpath::PrefixRateCap;
using anomstream::hotpath::PrefixRateCapConfig;
using namespace std::chrono_literals;

namespace {
constexpr SipKey SECRET{0x1111222233334444ULL, 0x5555666677778888ULL};

PrefixRateCap make_cap(std::uint64_t cap, std::chrono::nanoseconds window) {
  auto made = PrefixRateCap::create_with_key(PrefixRateCapConfig{cap, window}, SECRET);
  REQUIRE(made.has_value());
  return std::move(*made);
}

// A key other than `key` that lands in the same (same = true) or another bucket.
std::uint64_t key_with_bucket(const PrefixRateCap& cap, std::uint64_t key, bool same) {
  for (std::uint64_t other = key + 1;; ++other) {
    if ((cap.bucket_of(other) == cap.bucket_of(key)) == same) return other;
  }
}

std::size_t admitted(PrefixRateCap& cap, std::uint64_t key, std::uint64_t now, std::size_t tries) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < tries; ++i) n += cap.allow(key, now) ? 1 : 0;
  return n;
}
}  // namespace

TEST_CASE("construction rejects cap 0, cap above the maximum and windows under 1 ns") {
  auto zero = PrefixRateCap::create_with_key({0, 1s}, SECRET);
  REQUIRE_FALSE(zero.has_value());
  CHECK(zero.error().code == anomstream::ErrorCode::invalid_config);
  CHECK(zero.error().field == "cap_per_window");

  auto huge = PrefixRateCap::create({PrefixRateCap::MAX_CAP_PER_WINDOW + 1, 1s});
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error().field == "cap_per_window");

  for (auto window : {0ns, -5ns}) {
    auto bad = PrefixRateCap::create_with_key({10, window}, SECRET);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().field == "window");
    CHECK(bad.error().bound.find(">= 1 ns") != std::string::npos);
  }
  CHECK(PrefixRateCap::create({1, 1ns}).has_value());
  CHECK(PrefixRateCap::create({PrefixRateCap::MAX_CAP_PER_WINDOW, 1ns}).has_value());
}

TEST_CASE("the cap is enforced exactly per bucket per window") {
  PrefixRateCap cap = make_cap(5, 1000ns);
  CHECK(cap.enabled());
  const std::uint64_t key = 0x0a000100;  // e.g. 10.0.1.0/24
  CHECK(admitted(cap, key, 100, 20) == 5);
  CHECK_FALSE(cap.allow(key, 999));

  // Another prefix in the same bucket shares the exhausted cap ...
  CHECK_FALSE(cap.allow(key_with_bucket(cap, key, true), 500));
  // ... one in a different bucket has its own.
  const std::uint64_t other = key_with_bucket(cap, key, false);
  CHECK(admitted(cap, other, 500, 20) == 5);
}

TEST_CASE("windows roll over and a stale clock reading counts in the newer window") {
  PrefixRateCap cap = make_cap(3, 1000ns);
  const std::uint64_t key = 77;
  CHECK(admitted(cap, key, 0, 10) == 3);
  CHECK(admitted(cap, key, 1000, 10) == 3);   // next window
  CHECK(admitted(cap, key, 5'500, 10) == 3);  // a later one, after idle windows
  // A caller whose clock lags by one window (a race at the boundary) must not reopen it.
  CHECK(admitted(cap, key, 4'999, 10) == 0);
  CHECK(admitted(cap, key, 6'000, 10) == 3);
}

TEST_CASE("the disabled form allows everything") {
  PrefixRateCap cap = PrefixRateCap::disabled();
  CHECK_FALSE(cap.enabled());
  std::size_t allowed = 0;
  for (std::uint64_t i = 0; i < 100'000; ++i) allowed += cap.allow(i % 3, 0) ? 1 : 0;
  CHECK(allowed == 100'000);
  CHECK(cap.allow(std::string_view("tenant-a"), 12345));
}

TEST_CASE("the byte form hashes like the u64 form over little-endian bytes") {
  PrefixRateCap cap = make_cap(2, 1s);
  const std::uint64_t key = 0xc0a80000;
  std::array<std::byte, 8> bytes{};
  for (std::size_t b = 0; b < 8; ++b) bytes[b] = static_cast<std::byte>(key >> (8 * b));
  CHECK(cap.bucket_of(std::span<const std::byte>(bytes)) == cap.bucket_of(key));
  CHECK(cap.allow(key, 0));
  CHECK(cap.allow(std::span<const std::byte>(bytes), 0));
  CHECK_FALSE(cap.allow(key, 0));
}

TEST_CASE("bucket choice depends on the secret and spreads prefixes over all buckets") {
  auto other = PrefixRateCap::create_with_key({1, 1s}, SipKey{SECRET.k0 + 1, SECRET.k1});
  auto random = PrefixRateCap::create({1, 1s});
  REQUIRE((other && random));
  PrefixRateCap cap = make_cap(1, 1s);
  std::array<std::size_t, PrefixRateCap::BUCKETS> hits{};
  std::size_t same_bucket = 0;
  constexpr std::size_t KEYS = PrefixRateCap::BUCKETS * 400;
  for (std::uint64_t key = 0; key < KEYS; ++key) {
    ++hits[cap.bucket_of(key)];
    same_bucket += cap.bucket_of(key) == other->bucket_of(key) ? 1 : 0;
  }
  // 400 expected per bucket (sd 20): every bucket is used and none is far off.
  for (std::size_t hit : hits) {
    CHECK(hit > 300);
    CHECK(hit < 500);
  }
  // Under an independent secret a key keeps its bucket with probability 1/256 (400 +- 20).
  CHECK(same_bucket < 500);
}

TEST_CASE("caps built by create draw their own secret: never one constant bucket key") {
  auto a = PrefixRateCap::create({1, 1s});
  auto b = PrefixRateCap::create({1, 1s});
  REQUIRE((a && b));
  // Two independent secrets keep a key's bucket with probability 1/256 each: 1024 keys
  // share it about 4 times; a shared key would make it all 1024.
  std::size_t same_bucket = 0;
  for (std::uint64_t key = 0; key < 1024; ++key) same_bucket += a->bucket_of(key) == b->bucket_of(key) ? 1 : 0;
  CHECK(same_bucket < 32);
  auto zero_keyed = PrefixRateCap::create_with_key({1, 1s}, SipKey{});
  REQUIRE(zero_keyed.has_value());
  std::size_t as_zero = 0;
  for (std::uint64_t key = 0; key < 1024; ++key) as_zero += a->bucket_of(key) == zero_keyed->bucket_of(key) ? 1 : 0;
  CHECK(as_zero < 32);
}

TEST_CASE("concurrent callers never admit more than the cap per bucket-window in total") {
  constexpr std::size_t THREADS = 4;
  constexpr std::uint64_t CAP = 500;
  constexpr std::size_t WINDOWS = 8;
  const std::size_t tries = anomstream::hotpath::test::scaled(2'000, 700);
  PrefixRateCap cap = make_cap(CAP, 1ms);
  const std::uint64_t key = 0x0a0a0a00;
  const std::uint64_t sibling = key_with_bucket(cap, key, true);

  std::array<std::array<std::size_t, WINDOWS>, THREADS> counts{};
  std::barrier sync(static_cast<std::ptrdiff_t>(THREADS));
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < THREADS; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t w = 0; w < WINDOWS; ++w) {
        sync.arrive_and_wait();
        // Clock readings spread across the window, including a lagging one from the
        // previous window; half the calls use another prefix of the same bucket.
        for (std::size_t i = 0; i < tries; ++i) {
          std::uint64_t now = w * 1'000'000 + (i * 997) % 1'000'000;
          if (w > 0 && i % 100 == 99) now -= 1'000'000 - 1;
          counts[t][w] += cap.allow(i % 2 == 0 ? key : sibling, now) ? 1 : 0;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t w = 0; w < WINDOWS; ++w) {
    std::size_t total = 0;
    for (std::size_t t = 0; t < THREADS; ++t) total += counts[t][w];
    INFO("window " << w);
    CHECK(total == CAP);
  }
}
