#pragma once
// The O(l^2) part of the STOMP self-join (implementation detail of MatrixProfile).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "window_statistics.hpp"

namespace anomstream::timeseries::detail {

// Diagonals per block, the unit of work a task claims. A block walks its rows in tiles
// of 512, 16 diagonals at a time, so a tile's slice of the column arrays (768 entries
// of five arrays, 30 KB) stays in L1/L2.
inline constexpr std::size_t BLOCK_DIAGONALS = 256;

// The best Pearson correlations one task has found so far, for every window:
// `left_*[j]` over neighbours i < j, `right_*[i]` over neighbours j > i. A cell (i, j)
// of the upper triangle updates exactly these two, and the full profile is their
// maximum, so the lower triangle is never visited. -inf and index -1 mean "none yet".
struct PartialProfile {
  explicit PartialProfile(std::size_t count);

  std::vector<double> left_corr;          // [count + BLOCK_DIAGONALS] (tail is scratch)
  std::vector<std::int64_t> left_index;   // [count + BLOCK_DIAGONALS]
  std::vector<double> right_corr;         // [count]
  std::vector<std::int64_t> right_index;  // [count]
  std::vector<double> cov;                // [BLOCK_DIAGONALS] running covariances
};

// Which compilation of the kernel to run: the fastest the CPU supports, or the SSE2
// baseline (tests use it to check that both give the same bits).
enum class KernelIsa { best, baseline };

// True when the CPU runs the AVX2 kernel.
[[nodiscard]] bool avx2_available() noexcept;

// Walks diagonals [first, first + BLOCK_DIAGONALS) (those below `stats.count`) from
// row 0 to their ends and folds every cell whose windows are both finite and not
// constant into `out`. The starting covariances are exact dot products; each later cell
// costs one SCAMP update. Values are bitwise the same whichever task runs the block and
// whichever compilation runs: the kernel uses no FMA and a fixed operation order.
void process_diagonal_block(const WindowStatistics& stats, std::size_t first, PartialProfile& out,
                            KernelIsa isa = KernelIsa::best) noexcept;

}  // namespace anomstream::timeseries::detail
