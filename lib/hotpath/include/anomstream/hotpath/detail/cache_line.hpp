#pragma once
// The cache-line size the hot path pads shared atomics to. 64 bytes on x86-64 and most
// AArch64 cores; fixed rather than std::hardware_destructive_interference_size because
// that value may differ between translation units compiled with different -mtune and
// would change the layout of types shared across them.

#include <cstddef>

namespace anomstream::hotpath::detail {

inline constexpr std::size_t CACHE_LINE_SIZE = 64;

}  // namespace anomstream::hotpath::detail
