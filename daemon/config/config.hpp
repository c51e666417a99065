#pragma once
// Loading anomstreamd's configuration: the compiled-in config/default.yaml with the
// user's file laid over it, validated against config_schema() before any value is read,
// then each key copied into the DaemonConfig member its schema entry binds.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "config/daemon_config.hpp"
#include "config/schema.hpp"

namespace anomstream::daemon {

// The text of config/default.yaml, compiled into the binary.
extern const std::string_view DEFAULT_CONFIG_YAML;

struct ConfigErrors {
  std::string source;  // file name shown in messages
  std::vector<ConfigProblem> problems;
  [[nodiscard]] std::string message() const;  // one line per problem
};

// Parses `text` (named `source` in messages), validates it, lays it over the defaults.
std::expected<DaemonConfig, ConfigErrors> load_config(std::string_view text,
                                                      std::string_view source);

// Reads and loads a file; an unreadable file is reported as a problem too.
std::expected<DaemonConfig, ConfigErrors> load_config_file(const std::string& path);

// The built-in defaults alone.
DaemonConfig default_config();

}  // namespace anomstream::daemon
