// docs/operations.md must document every configuration key the schema accepts.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/schema.hpp"
#include "test_paths.hpp"

namespace {

void collect(const anomstream::daemon::Field& field, const std::string& prefix,
             std::vector<std::string>& out) {
  for (const auto& child : field.children) {
    const std::string path = prefix.empty() ? child.name : prefix + "." + child.name;
    if (child.kind == anomstream::daemon::FieldKind::map) {
      collect(child, path, out);
    } else {
      out.push_back(path);
    }
  }
}

}  // namespace

TEST_CASE("docs/operations.md names every configuration key") {
  std::ifstream in(anomstream::test::source_dir() / "docs" / "operations.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> keys;
  collect(anomstream::daemon::config_schema(), "", keys);
  REQUIRE(keys.size() > 10);
  for (const auto& key : keys) {
    CHECK_MESSAGE(text.str().find("`" + key + "`") != std::string::npos, key);
  }
}
