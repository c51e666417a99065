#pragma once
// Text as bytes, for tests that build keys and buffers from string literals.

#include <cstddef>
#include <string_view>
#include <vector>

namespace anomstream::test {

inline std::vector<std::byte> bytes_of(std::string_view text) {
  const auto* first = reinterpret_cast<const std::byte*>(text.data());
  return {first, first + text.size()};
}

}  // namespace anomstream::test
