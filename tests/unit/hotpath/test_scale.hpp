#pragma once
// Element counts for the concurrency tests: full size normally, smaller under
// ThreadSanitizer (which slows atomics ~10x) so unit_hotpath stays fast in that build.

#include <cstddef>

namespace anomstream::hotpath::test {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool UNDER_TSAN = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool UNDER_TSAN = true;
#else
inline constexpr bool UNDER_TSAN = false;
#endif
#else
inline constexpr bool UNDER_TSAN = false;
#endif

inline constexpr std::size_t scaled(std::size_t full, std::size_t under_tsan) {
  return UNDER_TSAN ? under_tsan : full;
}

}  // namespace anomstream::hotpath::test
