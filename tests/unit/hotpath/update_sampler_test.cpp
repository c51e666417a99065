#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/hotpath/update_sampler.hpp"
#include "test_scale.hpp"

using anomstream::SipKey;
using anomstream::hotpath::UpdateSampler;

namespace {
constexpr SipKey SECRET_A{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
constexpr SipKey SECRET_B{0x0123456789abcdeeULL, 0xfedcba9876543210ULL};

double selected_fraction(UpdateSampler& sampler, std::uint64_t key_seed, std::size_t n) {
  anomstream::Xoshiro256 rng(key_seed);
  std::size_t selected = 0;
  for (std::size_t i = 0; i < n; ++i) {
    selected += sampler.should_update(rng()) ? 1 : 0;
  }
  return static_cast<double>(selected) / static_cast<double>(n);
}
}  // namespace

TEST_CASE("construction rejects stride 0 and rates outside [0, 1], naming the field") {
  auto zero = UpdateSampler::every(0);
  REQUIRE_FALSE(zero.has_value());
  CHECK(zero.error().code == anomstream::ErrorCode::invalid_config);
  CHECK(zero.error().field == "stride");

  for (double bad : {-0.01, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    auto keyed = UpdateSampler::keyed_with_seeds(bad, SECRET_A);
    REQUIRE_FALSE(keyed.has_value());
    CHECK(keyed.error().field == "rate");
    CHECK(keyed.error().bound.find("[0, 1]") != std::string::npos);
    auto os_keyed = UpdateSampler::keyed(bad);
    REQUIRE_FALSE(os_keyed.has_value());
    CHECK(os_keyed.error().field == "rate");
  }
}

TEST_CASE("stride sampler selects calls 0, N, 2N, ... exactly") {
  auto sampler = UpdateSampler::every(5);
  REQUIRE(sampler.has_value());
  CHECK(sampler->mode() == UpdateSampler::Mode::stride);
  CHECK(sampler->stride() == 5);
  CHECK(sampler->rate() == doctest::Approx(0.2));
  for (std::uint64_t call = 0; call < 50; ++call) {
    CHECK(sampler->should_update(call * 7919) == (call % 5 == 0));
  }
  auto all = UpdateSampler::every(1);
  REQUIRE(all.has_value());
  for (int i = 0; i < 100; ++i) CHECK(all->should_update(std::uint64_t{42}));
}

TEST_CASE("a stride sampler shared by several threads selects exactly one call in N overall") {
  auto sampler = UpdateSampler::every(7);
  REQUIRE(sampler.has_value());
  constexpr std::size_t THREADS = 4;
  const std::size_t calls = anomstream::hotpath::test::scaled(25'000, 5'000);
  std::array<std::size_t, THREADS> selected{};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < THREADS; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < calls; ++i) {
        selected[t] += sampler->should_update(std::uint64_t{i}) ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::size_t total = 0;
  for (auto s : selected) total += s;
  const std::size_t n = THREADS * calls;
  CHECK(total == (n + 6) / 7);  // call indices 0, 7, 14, ... below n
}

TEST_CASE("keyed sampler selects within 1% of the configured rate over 1e6 random keys") {
  // Binomial(1e6, r): the relative standard deviation is sqrt((1-r)/(r*1e6)), 0.3% at
  // r = 0.1 and 0.1% at r = 0.5, so a 1% relative tolerance is >= 3.3 sigma; the keys and
  // secret are fixed, so the outcome is deterministic.
  for (double rate : {0.1, 0.25, 0.5, 0.9}) {
    auto sampler = UpdateSampler::keyed_with_seeds(rate, SECRET_A);
    REQUIRE(sampler.has_value());
    const double fraction = selected_fraction(*sampler, 2024, 1'000'000);
    INFO("rate " << rate << " selected " << fraction);
    CHECK(std::abs(fraction - rate) <= 0.01 * rate);
  }
  // With an OS-drawn secret at r = 0.5 the tolerance is 10 sigma.
  auto os_keyed = UpdateSampler::keyed(0.5);
  REQUIRE(os_keyed.has_value());
  CHECK(std::abs(selected_fraction(*os_keyed, 7, 1'000'000) - 0.5) <= 0.005);
}

TEST_CASE("keyed sampler at rate 0 selects nothing and at rate 1 everything") {
  auto none = UpdateSampler::keyed_with_seeds(0.0, SECRET_A);
  auto all = UpdateSampler::keyed_with_seeds(1.0, SECRET_A);
  REQUIRE(none.has_value());
  REQUIRE(all.has_value());
  anomstream::Xoshiro256 rng(3);
  for (int i = 0; i < 10'000; ++i) {
    const std::uint64_t key = rng();
    CHECK_FALSE(none->should_update(key));
    CHECK(all->should_update(key));
  }
  CHECK_FALSE(none->should_update(~std::uint64_t{0}));
  CHECK(all->should_update(~std::uint64_t{0}));
}

TEST_CASE("keyed decisions are consistent per flow and equal across the u64 and byte forms") {
  auto sampler = UpdateSampler::keyed_with_seeds(0.3, SECRET_A);
  REQUIRE(sampler.has_value());
  for (std::uint64_t key = 0; key < 1000; ++key) {
    std::array<std::byte, 8> bytes{};
    for (std::size_t b = 0; b < 8; ++b) bytes[b] = static_cast<std::byte>(key >> (8 * b));
    const bool first = sampler->should_update(key);
    CHECK(sampler->should_update(key) == first);
    CHECK(sampler->should_update(std::span<const std::byte>(bytes)) == first);
  }
  CHECK(sampler->should_update(std::string_view("10.1.2.3:443->10.9.8.7:51234/tcp")) ==
        sampler->should_update(std::string_view("10.1.2.3:443->10.9.8.7:51234/tcp")));
}

TEST_CASE("instances with different secrets select different flows") {
  // At rate 0.5 two independent secrets disagree on each flow with probability 0.5:
  // over 10000 flows that is 5000 +- 50 (1 sigma); [4500, 5500] is 10 sigma.
  auto a = UpdateSampler::keyed_with_seeds(0.5, SECRET_A);
  auto b = UpdateSampler::keyed_with_seeds(0.5, SECRET_B);
  auto a_again = UpdateSampler::keyed_with_seeds(0.5, SECRET_A);
  auto os_1 = UpdateSampler::keyed(0.5);
  auto os_2 = UpdateSampler::keyed(0.5);
  REQUIRE((a && b && a_again && os_1 && os_2));
  std::size_t ab = 0;
  std::size_t a_a = 0;
  std::size_t os = 0;
  for (std::uint64_t flow = 0; flow < 10'000; ++flow) {
    ab += a->should_update(flow) != b->should_update(flow) ? 1 : 0;
    a_a += a->should_update(flow) != a_again->should_update(flow) ? 1 : 0;
    os += os_1->should_update(flow) != os_2->should_update(flow) ? 1 : 0;
  }
  CHECK(ab >= 4500);
  CHECK(ab <= 5500);
  CHECK(os >= 4500);
  CHECK(os <= 5500);
  CHECK(a_a == 0);  // the same secret reproduces the same selection
}

TEST_CASE("a moved sampler keeps its configuration and stride position") {
  auto sampler = UpdateSampler::every(3);
  REQUIRE(sampler.has_value());
  CHECK(sampler->should_update(std::uint64_t{0}));  // call 0
  UpdateSampler moved = std::move(*sampler);
  CHECK_FALSE(moved.should_update(std::uint64_t{0}));  // call 1
  CHECK_FALSE(moved.should_update(std::uint64_t{0}));  // call 2
  CHECK(moved.should_update(std::uint64_t{0}));        // call 3
}
