#include "test_paths.hpp"

#include <cstdlib>

namespace anomstream::test {

std::filesystem::path source_dir() {
  if (const char* env = std::getenv("ANOMSTREAM_SOURCE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return ANOMSTREAM_SOURCE_DIR;
}

std::optional<std::filesystem::path> shared_path(std::string_view relative) {
  auto path = source_dir().parent_path() / "shared" / relative;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return path;
  }
  return std::nullopt;
}

}  // namespace anomstream::test
