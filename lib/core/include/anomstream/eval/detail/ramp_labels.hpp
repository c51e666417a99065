#pragma once
// TSB-AD's buffered ("ramp") labels around anomaly ranges, visited point by point.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "anomstream/eval/anomaly_ranges.hpp"

namespace anomstream::eval::detail {

// Calls visit(p, label, distance) for every point p outside the ranges that a
// buffer-`window` ramp reaches, in increasing p. `label` is TSB-AD's `sequencing`
// value: it adds sqrt(1 - d / window) at distance d = 1..window/2 on each side of every
// range and caps the sum at 1; every ramp value is at least sqrt(1/2), so a point
// reached by two ramps is exactly 1. `distance` is the distance to the nearest range.
// `ranges` are sorted and disjoint (anomaly_ranges); `scratch` holds the ramp values.
// Time O(R + points visited), at most O(R + min(T, R * window)).
template <class Visit>
void for_each_ramp_point(std::span<const AnomalyRange> ranges, std::size_t length,
                         std::size_t window, std::vector<double>& scratch, Visit&& visit) {
  using Position = std::int64_t;
  // Beyond the series length a wider buffer reaches no further point.
  const auto half = static_cast<Position>(std::min(window / 2, length));
  if (half == 0) {
    return;
  }
  scratch.resize(static_cast<std::size_t>(half) + 1);
  for (Position d = 1; d <= half; ++d) {
    scratch[static_cast<std::size_t>(d)] =
        std::sqrt(1.0 - static_cast<double>(d) / static_cast<double>(window));
  }
  const auto count = static_cast<Position>(ranges.size());
  auto first = [&](Position r) { return static_cast<Position>(ranges[static_cast<std::size_t>(r)].first); };
  auto last = [&](Position r) { return static_cast<Position>(ranges[static_cast<std::size_t>(r)].last); };

  // Gap g lies between range g - 1 and range g (gap 0 before the first range, gap R
  // after the last). A ramp from a farther range reaches a point only if the nearer
  // range's ramp on that side does too, so the two nearest ranges on each side decide.
  for (Position g = 0; g <= count; ++g) {
    const bool has_prev = g > 0;
    const bool has_next = g < count;
    const Position lo = has_prev ? last(g - 1) + 1 : 0;
    const Position hi = has_next ? first(g) - 1 : static_cast<Position>(length) - 1;
    if (lo > hi) {
      continue;
    }
    auto point = [&](Position p) {
      int reached = 0;
      Position distance = half + 1;
      double value = 0.0;
      if (has_prev && p - last(g - 1) <= half) {
        ++reached;
        distance = p - last(g - 1);
        value = scratch[static_cast<std::size_t>(distance)];
      }
      if (g > 1 && p - last(g - 2) <= half) {
        ++reached;
      }
      if (has_next && first(g) - p <= half) {
        ++reached;
        if (first(g) - p < distance) {
          distance = first(g) - p;
        }
        value = scratch[static_cast<std::size_t>(first(g) - p)];
      }
      if (g + 1 < count && first(g + 1) - p <= half) {
        ++reached;
      }
      visit(static_cast<std::size_t>(p), reached >= 2 ? 1.0 : value,
            static_cast<std::size_t>(distance));
    };
    const Position right_end = has_prev ? std::min(hi, last(g - 1) + half) : lo - 1;
    const Position left_begin = has_next ? std::max(lo, first(g) - half) : hi + 1;
    for (Position p = lo; p <= right_end; ++p) {
      point(p);
    }
    for (Position p = std::max(left_begin, right_end + 1); p <= hi; ++p) {
      point(p);
    }
  }
}

}  // namespace anomstream::eval::detail
