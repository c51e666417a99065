#pragma once
// Inner loops over one point or bounding box (min[0..D), max[0..D)) shared by the tree
// and the visitors. Output arrays never overlap inputs (__restrict__). `Dim` is the dimension when known at compile time (the forest
// dispatches D = 1..8 to their own instantiations) or 0 for a runtime `dimension`. Sums
// of more than LANES terms run in LANES independent lanes reduced in a fixed order, so
// the compiler can vectorise them without reassociating and the result depends only on
// the inputs and D (the same bits on every x86-64 machine and for every `Dim` choice:
// D < LANES is summed left to right either way).

#include <algorithm>
#include <cstddef>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace anomstream::forest::detail {

inline constexpr std::size_t LANES = 8;
// Dimensions with their own compiled kernels.
inline constexpr std::size_t MAX_FIXED_DIM = 8;

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

// min and max of two finite floats, branch-free in scalar code (MINSS/MAXSS) and
// vectorisable in LANES-wide blocks. Equal to std::min/std::max for finite inputs.
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
[[nodiscard]] inline float min_lane(float a, float b) noexcept { return b < a ? b : a; }
[[nodiscard]] inline float max_lane(float a, float b) noexcept { return a < b ? b : a; }

template <std::size_t Dim>
[[nodiscard]] constexpr std::size_t dim_of(std::size_t dimension) noexcept {
  return Dim == 0 ? dimension : Dim;
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
    float out[LANES] = {};
    float range[LANES] = {};
    std::size_t i = 0;
    for (; i + LANES <= d; i += LANES) {
      for (std::size_t k = 0; k < LANES; ++k) {
        out[k] += positive_lane(lo[i + k] - q[i + k]) + positive_lane(q[i + k] - hi[i + k]);
        range[k] += hi[i + k] - lo[i + k];
      }
    }
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

// True when q lies outside the box in some dimension (a cut could separate them): the sum
// of the distances outside is positive iff one of them is.
template <std::size_t Dim = 0>
[[nodiscard]] inline bool outside(const float* lo, const float* hi, const float* q,
                                  std::size_t dimension) noexcept {
  return out_and_range<Dim>(lo, hi, q, dimension).out > 0.0F;
}

// True when some coordinate of p lies on the box's boundary (p inside the box).
template <std::size_t Dim = 0>
[[nodiscard]] inline bool on_boundary(const float* lo, const float* hi, const float* p,
                                      std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  int hits[LANES] = {};
  std::size_t i = 0;
  for (; i + LANES <= d; i += LANES) {
    for (std::size_t k = 0; k < LANES; ++k) {
      hits[k] |= static_cast<int>(p[i + k] == lo[i + k]) | static_cast<int>(p[i + k] == hi[i + k]);
    }
  }
  for (std::size_t k = 0; i + k < d; ++k) {
    hits[k] |= static_cast<int>(p[i + k] == lo[i + k]) | static_cast<int>(p[i + k] == hi[i + k]);
  }
  int any = 0;
  for (std::size_t k = 0; k < LANES; ++k) {
    any |= hits[k];
  }
  return any != 0;
}

// box := box U p.
template <std::size_t Dim = 0>
inline void expand(float* __restrict__ lo, float* __restrict__ hi, const float* __restrict__ p,
                   std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  std::size_t i = 0;
  for (; i + LANES <= d; i += LANES) {
    for (std::size_t k = 0; k < LANES; ++k) {
      lo[i + k] = min_lane(lo[i + k], p[i + k]);
      hi[i + k] = max_lane(hi[i + k], p[i + k]);
    }
  }
  for (; i < d; ++i) {
    lo[i] = min_of(lo[i], p[i]);
    hi[i] = max_of(hi[i], p[i]);
  }
}

// out := (a_lo, a_hi) U (b_lo, b_hi); true if `out` changed.
template <std::size_t Dim = 0>
inline bool merge_boxes(float* __restrict__ out_lo, float* __restrict__ out_hi,
                        const float* __restrict__ a_lo, const float* __restrict__ a_hi,
                        const float* __restrict__ b_lo, const float* __restrict__ b_hi,
                        std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  int changed[LANES] = {};
  std::size_t i = 0;
  for (; i + LANES <= d; i += LANES) {
    for (std::size_t k = 0; k < LANES; ++k) {
      const float lo = min_lane(a_lo[i + k], b_lo[i + k]);
      const float hi = max_lane(a_hi[i + k], b_hi[i + k]);
      changed[k] |= static_cast<int>(lo != out_lo[i + k]) | static_cast<int>(hi != out_hi[i + k]);
      out_lo[i + k] = lo;
      out_hi[i + k] = hi;
    }
  }
  for (std::size_t k = 0; i + k < d; ++k) {
    const float lo = min_of(a_lo[i + k], b_lo[i + k]);
    const float hi = max_of(a_hi[i + k], b_hi[i + k]);
    changed[k] |= static_cast<int>(lo != out_lo[i + k]) | static_cast<int>(hi != out_hi[i + k]);
    out_lo[i + k] = lo;
    out_hi[i + k] = hi;
  }
  int any = 0;
  for (std::size_t k = 0; k < LANES; ++k) {
    any |= changed[k];
  }
  return any != 0;
}

// Summed side lengths of (box U p), in double (the total a random cut is drawn over).
template <std::size_t Dim = 0>
[[nodiscard]] inline double merged_range(const float* lo, const float* hi, const float* p,
                                         std::size_t dimension) noexcept {
  const std::size_t d = dim_of<Dim>(dimension);
  float sides[LANES] = {};
  double total = 0.0;
  std::size_t i = 0;
  for (; i + LANES <= d; i += LANES) {
    for (std::size_t k = 0; k < LANES; ++k) {
      sides[k] = max_lane(hi[i + k], p[i + k]) - min_lane(lo[i + k], p[i + k]);
    }
    for (std::size_t k = 0; k < LANES; ++k) {
      total += static_cast<double>(sides[k]);
    }
  }
  for (; i < d; ++i) {
    total += static_cast<double>(max_of(hi[i], p[i]) - min_of(lo[i], p[i]));
  }
  return total;
}

// Calls f.template operator()<Dim>() with Dim = dimension for 1..MAX_FIXED_DIM, else 0.
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
    default: return f.template operator()<0>();
  }
}

}  // namespace anomstream::forest::detail
