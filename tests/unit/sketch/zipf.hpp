#pragma once
// Test support: Zipf(s) samples over ranks [0, universe) by inverting the exact CDF, and
// the true counts of a generated stream, for checking sketch guarantees against truth.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "anomstream/core/random.hpp"

namespace anomstream::sketch::test {

class ZipfSampler {
 public:
  // P(rank r) proportional to (r + 1)^-s.
  ZipfSampler(std::size_t universe, double s) : cdf_(universe) {
    double sum = 0;
    for (std::size_t r = 0; r < universe; ++r) {
      sum += std::pow(static_cast<double>(r + 1), -s);
      cdf_[r] = sum;
    }
    for (double& c : cdf_) {
      c /= sum;
    }
  }

  std::uint64_t operator()(Xoshiro256& rng) const {
    const double u = rng.uniform01();
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<std::uint64_t>(std::min<std::ptrdiff_t>(
        it - cdf_.begin(), static_cast<std::ptrdiff_t>(cdf_.size()) - 1));
  }

 private:
  std::vector<double> cdf_;
};

struct ZipfStream {
  std::vector<std::uint64_t> items;   // in arrival order
  std::vector<std::uint64_t> counts;  // counts[rank] = true frequency
};

inline ZipfStream zipf_stream(std::size_t length, std::size_t universe, double s,
                              std::uint64_t seed) {
  const ZipfSampler sampler(universe, s);
  Xoshiro256 rng(seed);
  ZipfStream out{std::vector<std::uint64_t>(length), std::vector<std::uint64_t>(universe, 0)};
  for (auto& item : out.items) {
    item = sampler(rng);
    ++out.counts[item];
  }
  return out;
}

}  // namespace anomstream::sketch::test
