// docs/operations.md must document every configuration key the schema accepts.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/schema.hpp"
#include "test_paths.hpp"

TEST_CASE("docs/operations.md names every configuration key") {
  std::ifstream in(anomstream::test::source_dir() / "docs" / "operations.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const auto keys = anomstream::daemon::leaf_paths(anomstream::daemon::config_schema());
  REQUIRE(keys.size() > 10);
  for (const auto& key : keys) {
    CHECK_MESSAGE(text.str().find("`" + key + "`") != std::string::npos, key);
  }
}
