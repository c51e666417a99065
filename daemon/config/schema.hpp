#pragma once
// The configuration schema: every key anomstreamd accepts, its type, bound and meaning,
// the DaemonConfig member it fills and whether a reload applies it live.
// `validate` checks a YAML document against it and reports every problem with the key
// path, line and column, what was expected and what was found. Unknown keys are errors.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/daemon_config.hpp"

namespace anomstream::daemon {

// Longest entry of a stream list (pipeline.streams.*): a name ingest accepts
// (MAX_NAME_BYTES, 128) or a prefix of one followed by '*'.
inline constexpr std::size_t MAX_STREAM_PATTERN_BYTES = 129;

enum class FieldKind { map, integer, number, string, boolean, choice, endpoint, number_list, stream_list };

struct Field {
  std::string name;
  FieldKind kind = FieldKind::map;
  double min = 0;                    // integer / number / list element bounds (inclusive)
  double max = 0;
  std::vector<std::string> choices;  // for FieldKind::choice
  std::vector<Field> children;       // for FieldKind::map
  std::string help;
  // Copies the (validated) value into the DaemonConfig member the key binds; set for
  // every key that is not a map.
  std::function<void(const YAML::Node&, DaemonConfig&)> assign;
  // Whether a running daemon applies a new value on reload (SIGHUP) without a restart.
  bool live = false;
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

// Fills `config` from a validated document: every key the schema binds.
void assign(const YAML::Node& node, const Field& schema, DaemonConfig& config);

// Dotted paths of every key that is not a map, in schema order.
std::vector<std::string> leaf_paths(const Field& schema);

// Checks `node` (a whole document, or a subtree at `path`) against `schema`.
void validate(const YAML::Node& node, const Field& schema, const std::string& path,
              std::vector<ConfigProblem>& problems);

}  // namespace anomstream::daemon
