#pragma once
// Test support: counts calls to the global operator new in this test binary, so tests
// can assert that a sketch's per-item operations do not allocate.

#include <cstddef>

namespace anomstream::sketch::test {

// Number of global operator new calls so far (all threads).
std::size_t allocation_count() noexcept;

}  // namespace anomstream::sketch::test
