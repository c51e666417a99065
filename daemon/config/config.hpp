#pragma once
// Loading anomstreamd's configuration: the compiled-in config/default.yaml with the
// user's file laid over it, validated against config_schema() before any value is read,
// then each key copied into the DaemonConfig member its schema entry binds.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

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

// A loaded configuration and the merged document it came from (defaults with the user's
// file laid over them), which a reload compares key by key.
struct LoadedConfig {
  DaemonConfig config;
  YAML::Node document;
};

// Parses `text` (named `source` in messages), validates it, lays it over the defaults.
std::expected<DaemonConfig, ConfigErrors> load_config(std::string_view text,
                                                      std::string_view source);
std::expected<LoadedConfig, ConfigErrors> load_config_document(std::string_view text, std::string_view source);
std::expected<LoadedConfig, ConfigErrors> load_config_document_file(const std::string& path);

// The keys whose values differ between two merged documents, with whether a reload
// applies each live (Field::live).
struct ChangedKey {
  std::string path;
  bool live = false;
};
std::vector<ChangedKey> changed_keys(const YAML::Node& before, const YAML::Node& after);

// Puts the values of `keys` (dotted paths) from `from` back into `document` and `config`:
// a reload keeps the running value of a key that needs a restart.
void keep_keys(const std::vector<std::string>& keys, const YAML::Node& from, YAML::Node& document,
               DaemonConfig& config);

// Reads and loads a file; an unreadable file is reported as a problem too.
std::expected<DaemonConfig, ConfigErrors> load_config_file(const std::string& path);

// The built-in defaults alone.
DaemonConfig default_config();

}  // namespace anomstream::daemon
