#pragma once
// Paths tests read: the source tree, and the shared reference data beside the repository
// (../shared/golden, ../shared/data), which tests skip with a message when absent.

#include <filesystem>
#include <optional>
#include <string_view>

namespace anomstream::test {

std::filesystem::path source_dir();

// Whether ANOMSTREAM_REQUIRE_SHARED=1: tests that need ../shared then fail without it.
bool shared_required();

// ../shared/<relative> if it exists, else nullopt: the caller skips with a message, and
// the running test has already failed when shared_required().
std::optional<std::filesystem::path> shared_path(std::string_view relative);

}  // namespace anomstream::test
