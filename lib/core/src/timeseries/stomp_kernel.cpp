#include "stomp_kernel.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace anomstream::timeseries::detail {

namespace {

// A vector of diagonals: 2 lanes in SSE2 registers, 4 in AVX2 ones. The kernel body is
// one template over the lane count, compiled once per instruction set below; the vector
// types never cross a function boundary (their calling convention differs between the
// two). Explicit specialisations because GCC drops vector_size on a dependent size.
template <std::size_t N>
struct Lanes;
template <>
struct Lanes<2> {
  using Vec = double __attribute__((vector_size(16)));
  using IndexVec = std::int64_t __attribute__((vector_size(16)));
};
template <>
struct Lanes<4> {
  using Vec = double __attribute__((vector_size(32)));
  using IndexVec = std::int64_t __attribute__((vector_size(32)));
};

// Diagonals whose running covariances stay in registers while a group walks the rows.
constexpr std::size_t GROUP_DIAGONALS = 16;
// Rows per tile: the tile's columns (ROW_TILE + BLOCK_DIAGONALS of five arrays) stay in
// L1/L2 while every group of the block passes over them.
constexpr std::size_t ROW_TILE = 512;
// The running covariances restart from exact dot products every
// max(ANCHOR_MIN_ROWS, ANCHOR_ROWS_PER_POINT * m) rows (rounded up to whole tiles), which
// costs at most m / (ANCHOR_ROWS_PER_POINT * m) = 1.6% extra work.
constexpr std::size_t ANCHOR_MIN_ROWS = 4096;
constexpr std::size_t ANCHOR_ROWS_PER_POINT = 64;
static_assert(BLOCK_DIAGONALS % GROUP_DIAGONALS == 0);

constexpr double NEG_INF = -std::numeric_limits<double>::infinity();

// (An initializer list rather than a lane loop: GCC turns it into one vbroadcastsd.)
template <class Vec, class T>
[[gnu::always_inline]] inline void broadcast(Vec& v, T value) noexcept {
  if constexpr (sizeof(Vec) == 4 * sizeof(T)) {
    v = Vec{value, value, value, value};
  } else {
    static_assert(sizeof(Vec) == 2 * sizeof(T));
    v = Vec{value, value};
  }
}

#if defined(__x86_64__)
// vmovmskpd: one instruction instead of four lane extractions. Compiled for AVX2 and
// only ever inlined into the AVX2 kernel (which is `flatten`ed). The target attribute
// rather than `#pragma GCC target`, which clang ignores.
__attribute__((target("avx2"))) inline bool any_lane_avx2(const Lanes<4>::IndexVec& mask) noexcept {
  return __builtin_ia32_movmskpd256(reinterpret_cast<Lanes<4>::Vec>(mask)) != 0;
}
#endif

// True when any lane of the comparison mask is set.
template <std::size_t N, class IndexVec>
[[gnu::always_inline]] inline bool any_lane(const IndexVec& mask) noexcept {
#if defined(__x86_64__)
  if constexpr (N == 4) {
    return any_lane_avx2(mask);
  } else {
    return __builtin_ia32_movmskpd(reinterpret_cast<typename Lanes<N>::Vec>(mask)) != 0;
  }
#else
  std::int64_t acc = 0;
  for (std::size_t lane = 0; lane < N; ++lane) {
    acc |= mask[lane];
  }
  return acc != 0;
#endif
}

// One tile: rows [r0, r1) of a block of BLOCK_DIAGONALS diagonals, walked
// GROUP_DIAGONALS diagonals at a time. Within a group the 16 running covariances live in
// registers; each row advances them by one SCAMP update, turns them into correlations
// and compares those with the columns' left profiles and with the row's right profile.
// Only when one of them improves (a few dozen times per window over the whole
// traversal) does it leave the vector path and fold the 16 values in one by one, in
// column order, so ties keep the first neighbour found. NaN correlations (masked
// windows, padding) lose every comparison, so the vector path has one branch per row.
template <std::size_t N>
[[gnu::always_inline]] inline void block_kernel_body(
    const double* __restrict df, const double* __restrict dg, const double* __restrict inv,
    double* __restrict cov, double* __restrict left_corr, std::int64_t* __restrict left_index,
    double* __restrict right_corr, std::int64_t* __restrict right_index, std::size_t first,
    std::size_t r0, std::size_t r1) noexcept {
  using Vec = typename Lanes<N>::Vec;
  using IndexVec = typename Lanes<N>::IndexVec;
  constexpr std::size_t U = GROUP_DIAGONALS / N;  // vectors per group
  for (std::size_t q = 0; q < BLOCK_DIAGONALS; q += GROUP_DIAGONALS) {
    Vec c[U];
    std::memcpy(c, cov + q, sizeof c);
    for (std::size_t i = r0; i < r1; ++i) {
      const std::size_t j = i + first + q;
      Vec a;
      Vec b;
      Vec s;
      Vec t;
      broadcast(a, df[i]);
      broadcast(b, dg[i]);
      broadcast(s, inv[i]);
      broadcast(t, right_corr[i]);
      Vec r[U];
      IndexVec improved;
      broadcast(improved, std::int64_t{0});
#pragma GCC unroll 8
      for (std::size_t u = 0; u < U; ++u) {
        Vec g;
        Vec f;
        Vec v;
        Vec old;
        std::memcpy(&g, dg + j + u * N, sizeof g);
        std::memcpy(&f, df + j + u * N, sizeof f);
        std::memcpy(&v, inv + j + u * N, sizeof v);
        std::memcpy(&old, left_corr + j + u * N, sizeof old);
        c[u] = c[u] + (a * g + f * b);
        r[u] = c[u] * s * v;
        improved |= r[u] > old;
      }
      // Starts at -inf, not r[0]: a NaN lane must not poison the maximum.
      Vec top;
      broadcast(top, NEG_INF);
#pragma GCC unroll 8
      for (std::size_t u = 0; u < U; ++u) {
        top = top < r[u] ? r[u] : top;
      }
      improved |= top > t;
      if (any_lane<N>(improved)) [[unlikely]] {
        double values[GROUP_DIAGONALS];
        std::memcpy(values, r, sizeof values);
        const auto row = static_cast<std::int64_t>(i);
        for (std::size_t lane = 0; lane < GROUP_DIAGONALS; ++lane) {
          const double value = values[lane];
          if (value > left_corr[j + lane]) {
            left_corr[j + lane] = value;
            left_index[j + lane] = row;
          }
          if (value > right_corr[i]) {
            right_corr[i] = value;
            right_index[i] = static_cast<std::int64_t>(j + lane);
          }
        }
      }
    }
    std::memcpy(cov + q, c, sizeof c);
  }
}

// Two compilations of the same body: the SSE2 baseline every x86-64 CPU has (and the
// portable build elsewhere), and AVX2 (`flatten` pulls the body and its helpers into the
// AVX2 context). Neither uses FMA and both perform the same IEEE operations per lane in
// the same order, so they return identical bits; process_diagonal_block picks AVX2 when
// the CPU reports it.
void block_kernel_baseline(const double* df, const double* dg, const double* inv, double* cov,
                           double* left_corr, std::int64_t* left_index, double* right_corr,
                           std::int64_t* right_index, std::size_t first, std::size_t r0,
                           std::size_t r1) noexcept {
  block_kernel_body<2>(df, dg, inv, cov, left_corr, left_index, right_corr, right_index, first, r0,
                       r1);
}

#if defined(__x86_64__)
__attribute__((target("avx2"), flatten)) void block_kernel_avx2(
    const double* df, const double* dg, const double* inv, double* cov, double* left_corr,
    std::int64_t* left_index, double* right_corr, std::int64_t* right_index, std::size_t first,
    std::size_t r0, std::size_t r1) noexcept {
  block_kernel_body<4>(df, dg, inv, cov, left_corr, left_index, right_corr, right_index, first, r0,
                       r1);
}
#endif

std::size_t anchor_rows(std::size_t window) noexcept {
  const std::size_t rows = std::max<std::size_t>(ANCHOR_MIN_ROWS, ANCHOR_ROWS_PER_POINT * window);
  return (rows + ROW_TILE - 1) / ROW_TILE * ROW_TILE;
}

}  // namespace

bool avx2_available() noexcept {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") != 0;
#else
  return false;
#endif
}

PartialProfile::PartialProfile(std::size_t count)
    : left_corr(count + BLOCK_DIAGONALS, NEG_INF),
      left_index(count + BLOCK_DIAGONALS, -1),
      right_corr(count, NEG_INF),
      right_index(count, -1),
      cov(BLOCK_DIAGONALS, 0.0) {}

void process_diagonal_block(const WindowStatistics& stats, std::size_t first, PartialProfile& out,
                            KernelIsa isa) noexcept {
  const std::size_t l = stats.count;
  if (first >= l) {
    return;
  }
  auto* kernel = &block_kernel_baseline;
#if defined(__x86_64__)
  if (isa == KernelIsa::best && avx2_available()) {
    kernel = &block_kernel_avx2;
  }
#else
  (void)isa;
#endif
  const std::size_t rows = l - first;
  const std::size_t anchor = anchor_rows(stats.window);
  for (std::size_t r0 = 0; r0 < rows; r0 += ROW_TILE) {
    if (r0 % anchor == 0) {
      // Exact covariances of row r0 - 1 (row 0 for the first tile, whose update adds 0
      // because df[0] = dg[0] = 0): rounding drift along a diagonal then spans at most
      // `anchor` rows, whatever the series length.
      const std::size_t i = r0 == 0 ? 0 : r0 - 1;
      for (std::size_t k = 0; k < BLOCK_DIAGONALS; ++k) {
        const std::size_t j = i + first + k;
        out.cov[k] = j < l ? centred_dot(stats, i, j) : 0.0;
      }
    }
    kernel(stats.df.data(), stats.dg.data(), stats.inv_norm.data(), out.cov.data(),
           out.left_corr.data(), out.left_index.data(), out.right_corr.data(),
           out.right_index.data(), first, r0, std::min(rows, r0 + ROW_TILE));
  }
}

}  // namespace anomstream::timeseries::detail
