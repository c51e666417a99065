#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "anomstream/core/random.hpp"
#include "anomstream/hotpath/detail/invariant_divider.hpp"

using anomstream::hotpath::detail::InvariantDivider;

TEST_CASE("multiply-shift division equals the hardware divide for every divisor class") {
  constexpr std::uint64_t MAX = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::uint64_t> divisors = {1,         2,          3,           7,
                                         10,        1000,       1'000'000,   1'000'000'000,
                                         60'000'000'000ULL,     (1ULL << 32) - 1,
                                         1ULL << 32, (1ULL << 32) + 1,       (1ULL << 63) - 1,
                                         1ULL << 63, (1ULL << 63) + 1,       MAX};
  anomstream::Xoshiro256 rng(99);
  for (int i = 0; i < 200; ++i) divisors.push_back(rng() >> (rng() % 64) | 1);
  for (std::uint64_t d : divisors) {
    const InvariantDivider divider(d);
    CAPTURE(d);
    std::vector<std::uint64_t> numerators = {0, 1, d - 1, d, d + 1, 2 * d - 1, (1ULL << 63) - 1,
                                             1ULL << 63, MAX, MAX - 1};
    for (int k = 0; k < 500; ++k) {
      numerators.push_back(rng() >> (rng() % 64));
      numerators.push_back(d * (rng() % 1000) + (rng() % 2 == 0 ? 0 : d - 1));
    }
    bool all_equal = true;
    for (std::uint64_t n : numerators) all_equal = all_equal && divider.divide(n) == n / d;
    CHECK(all_equal);
  }
}
