// docs/operations.md must document every configuration key the schema accepts.

#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <vector>
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

// The reload section lists exactly the keys the schema marks live (by their key or a
// `prefix.*` wildcard), so an operator knows which keys need a restart.
TEST_CASE("docs/operations.md lists the keys a reload applies live, and only those") {
  std::ifstream in(anomstream::test::source_dir() / "docs" / "operations.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto start = doc.find("Applied live:");
  REQUIRE(start != std::string::npos);
  const std::string live_list = doc.substr(start, doc.find("\n\n", start) - start);
  std::vector<std::string> live, restart;
  std::function<void(const anomstream::daemon::Field&, const std::string&)> walk =
      [&](const anomstream::daemon::Field& field, const std::string& prefix) {
        for (const auto& child : field.children) {
          const std::string path = prefix.empty() ? child.name : prefix + "." + child.name;
          if (child.kind == anomstream::daemon::FieldKind::map) {
            walk(child, path);
          } else {
            (child.live ? live : restart).push_back(path);
          }
        }
      };
  walk(anomstream::daemon::config_schema(), "");
  const auto listed = [&](const std::string& key) {
    if (live_list.find("`" + key + "`") != std::string::npos) return true;
    for (auto dot = key.rfind('.'); dot != std::string::npos; dot = key.rfind('.', dot - 1)) {
      if (live_list.find("`" + key.substr(0, dot) + ".*`") != std::string::npos) return true;
      if (dot == 0) break;
    }
    return false;
  };
  for (const auto& key : live) CHECK_MESSAGE(listed(key), "live key not listed: " << key);
  for (const auto& key : restart) CHECK_MESSAGE(!listed(key), "restart-only key listed as live: " << key);
}
