#pragma once
// Cache prefetch hints for the interleaved tree walks (no effect on results).

#include <cstddef>

namespace anomstream::forest::detail {

inline void prefetch(const void* address) noexcept { __builtin_prefetch(address, 0, 3); }

// Prefetches `lines` consecutive 64-byte lines from `address`.
inline void prefetch_lines(const void* address, std::size_t lines) noexcept {
  const char* p = static_cast<const char*>(address);
  for (std::size_t i = 0; i < lines; ++i) {
    __builtin_prefetch(p + 64 * i, 0, 3);
  }
}

}  // namespace anomstream::forest::detail
