#pragma once
// The scratch directory eval tests write CSV files to (tests/support/temp_dir.hpp).

#include "temp_dir.hpp"

namespace anomstream::eval::test {

using anomstream::test::TempDir;

}  // namespace anomstream::eval::test
