#include "test_paths.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

namespace anomstream::test {

std::filesystem::path source_dir() {
  if (const char* env = std::getenv("ANOMSTREAM_SOURCE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return ANOMSTREAM_SOURCE_DIR;
}

bool shared_required() {
  const char* env = std::getenv("ANOMSTREAM_REQUIRE_SHARED");
  return env != nullptr && std::string(env) == "1";
}

std::optional<std::filesystem::path> shared_path(std::string_view relative) {
  auto path = source_dir().parent_path() / "shared" / relative;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return path;
  }
  if (shared_required()) {
    FAIL_CHECK("ANOMSTREAM_REQUIRE_SHARED=1 but " << path.string() << " is absent");
  }
  return std::nullopt;
}

}  // namespace anomstream::test
