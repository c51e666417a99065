#pragma once
// ScoreAlignment: which row a subsequence detector's point score belongs to. A window
// of W rows ends at the newest row, but an anomaly inside it can sit anywhere in it, so
// a detector can report each window's evidence at once (no delay) or W/2 rows later,
// when it can be placed on the rows it covers. Shared by SubsequenceKMeans and
// LeftMatrixProfile, each of which documents what it reports under each value.

#include <cstdint>
#include <string_view>

namespace anomstream::subsequence {

enum class ScoreAlignment : std::uint8_t { newest, lagged };

// "newest", "lagged".
[[nodiscard]] std::string_view to_string(ScoreAlignment alignment) noexcept;

// True for the values the enum names (a restored or cast value may be anything).
[[nodiscard]] constexpr bool is_valid(ScoreAlignment alignment) noexcept {
  return alignment == ScoreAlignment::newest || alignment == ScoreAlignment::lagged;
}

}  // namespace anomstream::subsequence
