#pragma once
// Paths tests read: the source tree, and the shared reference data beside the repository
// (../shared/golden, ../shared/data), which tests skip with a message when absent.

#include <filesystem>
#include <optional>
#include <string_view>

namespace anomstream::test {

std::filesystem::path source_dir();

// ../shared/<relative> if it exists, else nullopt (and the caller skips with a message).
std::optional<std::filesystem::path> shared_path(std::string_view relative);

}  // namespace anomstream::test
