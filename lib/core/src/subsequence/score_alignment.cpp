#include "anomstream/subsequence/score_alignment.hpp"

namespace anomstream::subsequence {

std::string_view to_string(ScoreAlignment alignment) noexcept {
  return alignment == ScoreAlignment::lagged ? "lagged" : "newest";
}

}  // namespace anomstream::subsequence
