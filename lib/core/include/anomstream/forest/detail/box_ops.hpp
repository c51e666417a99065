#pragma once
// Inner loops over one point or bounding box (min[0..D), max[0..D)) shared by the tree
// and the visitors. `Dim` is the dimension when known at compile time (the forest
// dispatches D = 1..8 and 16 to their own instantiations) or 0 for a runtime `dimension`. Sums
// of more than LANES terms run in LANES independent lanes (two Float4 registers) reduced
// in a fixed order, so they vectorise without reassociation and the result depends only
// on the inputs and D: the same bits on every machine. Output arrays never overlap
// inputs (__restrict__).

#include <algorithm>
#include <cstddef>
#include <cstring>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace anomstream::forest::detail {

inline constexpr std::size_t LANES = 8;

// max(x, 0) without a branch (the sign of a distance is data-dependent and unpredictable).
// `x > 0 ? x : 0` is the same value (also for -0); GCC vectorises that form but emits a
// branch for it in scalar code, so scalar loops use MAXSS directly.
[[nodiscard]] inline float positive(float x) noexcept {
#if defined(__SSE__)
  return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(x), _mm_setzero_ps()));
#else
  return x > 0.0F ? x : 0.0F;
#endif
}

// The same value in a form the vectoriser turns into compare-and-mask.
[[nodiscard]] inline float positive_lane(float x) noexcept { return x > 0.0F ? x : 0.0F; }

// Four float lanes (GCC/Clang vector extension: SSE on x86-64, NEON on AArch64). Two of
// them hold the LANES = 8 partial sums of the wide loops, in registers.
using Float4 = float __attribute__((vector_size(16)));

[[nodiscard]] inline Float4 load4(const float* p) noexcept {
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store4(float* p, Float4 v) noexcept { std::memcpy(p, &v, sizeof v); }
[[nodiscard]] inline Float4 positive4(Float4 x) noexcept { return x > 0.0F ? x : Float4{}; }
[[nodiscard]] inline Float4 min4(Float4 a, Float4 b) noexcept { return b < a ? b : a; }
[[nodiscard]] inline Float4 max4(Float4 a, Float4 b) noexcept { return a < b ? b : a; }

// min and max of two finite floats, branch-free in scalar code (MINSS/MAXSS). Equal to
// std::min/std::max for finite inputs.
[[nodiscard]] inline float min_of(float a, float b) noexcept {
#if defined(__SSE__)
  return _mm_cvtss_f32(_mm_min_ss(_mm_set_ss(a), _mm_set_ss(b)));
#else
  return b < a ? b : a;
#endif
}
[[nodiscard]] inline float max_of(float a, float b) noexcept {
#if defined(__SSE__)
  return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(a), _mm_set_ss(b)));
#else
  return a < b ? b : a;
#endif
}

template <std::size_t Dim>
[[nodiscard]] constexpr std::size_t dim_of(std::size_t dimension) noexcept {
  return Dim == 0 ? dimension : Dim;
}

// Bound of a scalar tail loop after 4- or LANES-wide blocks: 0 when Dim is a known
// multiple of LANES (the blocks cover everything; this also keeps GCC from reasoning
// about tail iterations that cannot happen).
template <std::size_t Dim>
[[nodiscard]] constexpr std::size_t tail_end(std::size_t d) noexcept {
  return (Dim != 0 && Dim % LANES == 0) ? 0 : d;
}

template <std::size_t Dim = 0>
[[nodiscard]] inline bool equal_points(const float* a, const float* b,
                                       std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  if constexpr (Dim != 0) {
    bool same = true;
    for (std::size_t i = 0; i < d; ++i) {
      same &= a[i] == b[i];
    }
    return same;
  } else {
    for (std::size_t i = 0; i < d; ++i) {
      if (a[i] != b[i]) {
        return false;
      }
    }
    return true;
  }
}

// Distance of q outside the box summed over dimensions (`out`) and the box's range sum.
struct OutAndRange {
  float out;
  float range;
};

template <std::size_t Dim = 0>
[[nodiscard]] inline OutAndRange out_and_range(const float* lo, const float* hi, const float* q,
                                               std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  if constexpr (Dim == 4) {
    // Left-to-right sums of four terms: the vectoriser keeps this order.
    float out = 0.0F;
    float range = 0.0F;
    for (std::size_t i = 0; i < 4; ++i) {
      out += positive_lane(lo[i] - q[i]) + positive_lane(q[i] - hi[i]);
      range += hi[i] - lo[i];
    }
    return {out, range};
  } else {
    if (d < LANES) {
      float out = 0.0F;
      float range = 0.0F;
      for (std::size_t i = 0; i < d; ++i) {
        out += positive(lo[i] - q[i]) + positive(q[i] - hi[i]);
        range += hi[i] - lo[i];
      }
      return {out, range};
    }
    Float4 out_lo{};
    Float4 out_hi{};
    Float4 range_lo{};
    Float4 range_hi{};
    std::size_t i = 0;
    for (; i + LANES <= d; i += LANES) {
      const Float4 l0 = load4(lo + i);
      const Float4 l1 = load4(lo + i + 4);
      const Float4 h0 = load4(hi + i);
      const Float4 h1 = load4(hi + i + 4);
      const Float4 q0 = load4(q + i);
      const Float4 q1 = load4(q + i + 4);
      out_lo += positive4(l0 - q0) + positive4(q0 - h0);
      out_hi += positive4(l1 - q1) + positive4(q1 - h1);
      range_lo += h0 - l0;
      range_hi += h1 - l1;
    }
    float out[LANES];
    float range[LANES];
    store4(out, out_lo);
    store4(out + 4, out_hi);
    store4(range, range_lo);
    store4(range + 4, range_hi);
    for (std::size_t k = 0; i + k < d; ++k) {
      out[k] += positive(lo[i + k] - q[i + k]) + positive(q[i + k] - hi[i + k]);
      range[k] += hi[i + k] - lo[i + k];
    }
    float total_out = 0.0F;
    float total_range = 0.0F;
    for (std::size_t k = 0; k < LANES; ++k) {
      total_out += out[k];
      total_range += range[k];
    }
    return {total_out, total_range};
  }
}

// box := box U p.
template <std::size_t Dim = 0>
inline void expand(float* __restrict__ lo, float* __restrict__ hi, const float* __restrict__ p,
                   std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    const Float4 v = load4(p + i);
    store4(lo + i, min4(load4(lo + i), v));
    store4(hi + i, max4(load4(hi + i), v));
  }
  for (; i < tail_end<Dim>(d); ++i) {
    lo[i] = min_of(lo[i], p[i]);
    hi[i] = max_of(hi[i], p[i]);
  }
}

// An "extent" is a pair of arrays (a, b) standing for the box [min(a, b), max(a, b)]: a
// stored box (lo, hi), a leaf (p, p), or a node whose two children are leaves (p, q),
// whose box the tree derives instead of storing.

// out_and_range of the extent (a, b).
template <std::size_t Dim = 0>
[[nodiscard]] inline OutAndRange out_and_range_extent(const float* a, const float* b,
                                                      const float* q,
                                                      std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  Float4 out0{};
  Float4 out1{};
  Float4 range0{};
  Float4 range1{};
  std::size_t i = 0;
  for (; i + LANES <= d; i += LANES) {
    const Float4 a0 = load4(a + i);
    const Float4 a1 = load4(a + i + 4);
    const Float4 b0 = load4(b + i);
    const Float4 b1 = load4(b + i + 4);
    const Float4 q0 = load4(q + i);
    const Float4 q1 = load4(q + i + 4);
    const Float4 lo0 = min4(a0, b0);
    const Float4 hi0 = max4(a0, b0);
    const Float4 lo1 = min4(a1, b1);
    const Float4 hi1 = max4(a1, b1);
    out0 += positive4(lo0 - q0) + positive4(q0 - hi0);
    out1 += positive4(lo1 - q1) + positive4(q1 - hi1);
    range0 += hi0 - lo0;
    range1 += hi1 - lo1;
  }
  float total_out = 0.0F;
  float total_range = 0.0F;
  if (d >= LANES) {
    float out[LANES];
    float range[LANES];
    store4(out, out0);
    store4(out + 4, out1);
    store4(range, range0);
    store4(range + 4, range1);
    for (std::size_t k = 0; k < LANES; ++k) {
      total_out += out[k];
      total_range += range[k];
    }
  }
  for (; i < tail_end<Dim>(d); ++i) {
    const float lo = min_of(a[i], b[i]);
    const float hi = max_of(a[i], b[i]);
    total_out += positive(lo - q[i]) + positive(q[i] - hi);
    total_range += hi - lo;
  }
  return {total_out, total_range};
}

// (out_lo, out_hi) := the box of extent (a0, a1) U extent (b0, b1); true if it changed.
template <std::size_t Dim = 0>
inline bool merge_extents(float* __restrict__ out_lo, float* __restrict__ out_hi,
                          const float* __restrict__ a0, const float* __restrict__ a1,
                          const float* __restrict__ b0, const float* __restrict__ b1,
                          std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  using Int4 = int __attribute__((vector_size(16)));
  Int4 changed{};
  std::size_t i = 0;
  for (; i + 4 <= d; i += 4) {
    const Float4 va0 = load4(a0 + i);
    const Float4 va1 = load4(a1 + i);
    const Float4 vb0 = load4(b0 + i);
    const Float4 vb1 = load4(b1 + i);
    const Float4 lo = min4(min4(va0, va1), min4(vb0, vb1));
    const Float4 hi = max4(max4(va0, va1), max4(vb0, vb1));
    changed |= (lo != load4(out_lo + i)) | (hi != load4(out_hi + i));
    store4(out_lo + i, lo);
    store4(out_hi + i, hi);
  }
  bool any = (changed[0] | changed[1] | changed[2] | changed[3]) != 0;
  for (; i < tail_end<Dim>(d); ++i) {
    const float lo = min_of(min_of(a0[i], a1[i]), min_of(b0[i], b1[i]));
    const float hi = max_of(max_of(a0[i], a1[i]), max_of(b0[i], b1[i]));
    any |= (lo != out_lo[i]) | (hi != out_hi[i]);
    out_lo[i] = lo;
    out_hi[i] = hi;
  }
  return any;
}

// Calls f.template operator()<Dim>() with Dim = dimension for 1..8 and 16, else 0 (wider
// fixed kernels measured no faster than the runtime loop at D = 64).
template <class F>
decltype(auto) dispatch_dimension(std::size_t dimension, F&& f) {
  switch (dimension) {
    case 1: return f.template operator()<1>();
    case 2: return f.template operator()<2>();
    case 3: return f.template operator()<3>();
    case 4: return f.template operator()<4>();
    case 5: return f.template operator()<5>();
    case 6: return f.template operator()<6>();
    case 7: return f.template operator()<7>();
    case 8: return f.template operator()<8>();
    case 16: return f.template operator()<16>();
    default: return f.template operator()<0>();
  }
}

}  // namespace anomstream::forest::detail
