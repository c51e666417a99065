#pragma once
// The configuration schema: every key anomstreamd accepts, its type, bound and meaning.
// `validate` checks a YAML document against it and reports every problem with the key
// path, line and column, what was expected and what was found. Unknown keys are errors.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace anomstream::daemon {

enum class FieldKind { map, integer, number, string, boolean, choice, endpoint, number_list };

struct Field {
  std::string name;
  FieldKind kind = FieldKind::map;
  double min = 0;                    // integer / number / list element bounds (inclusive)
  double max = 0;
  std::vector<std::string> choices;  // for FieldKind::choice
  std::vector<Field> children;       // for FieldKind::map
  std::string help;
};

struct ConfigProblem {
  std::string path;      // dotted key path, e.g. "server.grpc.listen"
  int line = 0;          // 1-based; 0 when unknown
  int column = 0;        // 1-based; 0 when unknown
  std::string expected;  // e.g. "an integer in [1, 64]"
  std::string found;     // the offending text or key

  [[nodiscard]] std::string message(std::string_view source) const;
};

// The root of the schema.
const Field& config_schema();

// What a field accepts, in words ("an integer in [1, 64]").
std::string describe_expected(const Field& field);

// Checks `node` (a whole document, or a subtree at `path`) against `schema`.
void validate(const YAML::Node& node, const Field& schema, const std::string& path,
              std::vector<ConfigProblem>& problems);

}  // namespace anomstream::daemon
