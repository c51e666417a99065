// The STOMP kernel is an implementation detail of MatrixProfile; its one promise that the
// public tests cannot see is that the AVX2 and SSE2 compilations return the same bits
// (MatrixProfile uses whichever the CPU has, so a machine without AVX2 must agree with
// the golden results obtained on one with it).

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../../../lib/core/src/timeseries/stomp_kernel.hpp"
#include "../../../lib/core/src/timeseries/window_statistics.hpp"
#include "anomstream/core/random.hpp"

namespace detail = anomstream::timeseries::detail;

namespace {

detail::PartialProfile run_all_blocks(const detail::WindowStatistics& stats, std::size_t excl,
                                      detail::KernelIsa isa) {
  detail::PartialProfile partial(stats.count);
  for (std::size_t first = excl + 1; first < stats.count; first += detail::BLOCK_DIAGONALS) {
    detail::process_diagonal_block(stats, first, partial, isa);
  }
  return partial;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Both -inf or both the same value; the kernel never stores NaN.
    if (!(a[i] == b[i]) || std::signbit(a[i]) != std::signbit(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("the AVX2 and SSE2 kernels return identical correlations and indices") {
  if (!detail::avx2_available()) {
    MESSAGE("skipped: this CPU runs only the SSE2 kernel");
    return;
  }
  // A random walk with a NaN gap and a flat stretch, l not a multiple of the block or
  // tile sizes, so padding, masked windows and partial tiles are all exercised.
  anomstream::Xoshiro256 rng(5);
  std::vector<double> x(3001);
  double level = 0.0;
  for (auto& v : x) {
    level += rng.uniform01() - 0.5;
    v = level;
  }
  x[1200] = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t t = 2000; t < 2100; ++t) {
    x[t] = 1.5;
  }
  const std::size_t m = 37;
  const auto stats = detail::compute_window_statistics(x, m, detail::BLOCK_DIAGONALS);
  const std::size_t excl = (m + 3) / 4;
  const auto best = run_all_blocks(stats, excl, detail::KernelIsa::best);
  const auto baseline = run_all_blocks(stats, excl, detail::KernelIsa::baseline);
  const std::size_t l = stats.count;
  CHECK(same_bits(std::vector<double>(best.left_corr.begin(), best.left_corr.begin() + l),
                  std::vector<double>(baseline.left_corr.begin(), baseline.left_corr.begin() + l)));
  CHECK(same_bits(best.right_corr, baseline.right_corr));
  CHECK(std::equal(best.left_index.begin(), best.left_index.begin() + l,
                   baseline.left_index.begin()));
  CHECK(best.right_index == baseline.right_index);
  // Not vacuous: most windows found a neighbour.
  std::size_t found = 0;
  for (std::size_t i = 0; i < l; ++i) {
    found += best.right_index[i] >= 0 ? 1 : 0;
  }
  CHECK(found > l / 2);
}
