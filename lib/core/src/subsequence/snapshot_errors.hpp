#pragma once
// The corrupt_snapshot errors the subsequence detectors' restore() returns.

#include <cstddef>
#include <string>

#include "anomstream/core/error.hpp"

namespace anomstream::subsequence::detail {

[[nodiscard]] inline std::unexpected<Error> corrupt(std::string field, std::string bound) {
  return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
}

[[nodiscard]] inline std::unexpected<Error> wrong_length(std::string field, std::size_t expected,
                                                         std::size_t got) {
  return corrupt(std::move(field), "length must be " + std::to_string(expected) + " (got " +
                                       std::to_string(got) + ")");
}

}  // namespace anomstream::subsequence::detail
