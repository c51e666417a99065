#pragma once
// anomstreamd's typed configuration: the compiled-in config/default.yaml with the user's
// file laid over it, validated against config_schema() before any value is read.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.hpp"

namespace anomstream::daemon {

// The text of config/default.yaml, compiled into the binary.
extern const std::string_view DEFAULT_CONFIG_YAML;

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

struct DaemonConfig {
  struct Grpc {
    Endpoint listen;
    std::int64_t max_message_bytes = 0;
  } grpc;
  struct Udp {
    Endpoint listen;
    std::int64_t max_datagram_bytes = 0;
  } udp;
  Endpoint metrics_listen;
  std::int64_t max_batch = 0;
  std::int64_t max_dimension = 0;
  std::int64_t worker_count = 0;
  std::int64_t queue_capacity = 0;
  struct Sampler {
    std::string mode;  // "every" or "keyed"
    std::int64_t every = 1;
    double rate = 1.0;
  } sampler;
  struct RateCap {
    bool enabled = false;
    std::int64_t per_window = 0;
    std::int64_t window_ms = 0;
  } rate_cap;
  struct Pipeline {
    std::int64_t dimension = 0;
    std::string normalizer;
    std::int64_t num_trees = 0;
    std::int64_t sample_size = 0;
    std::uint64_t seed = 0;
    double time_decay = 0;
    std::int64_t output_after = 0;
    double z_factor = 0;
    double min_score = 0;
    std::vector<double> severity_thresholds;
    std::int64_t top_features = 0;
  } pipeline;
  std::int64_t max_tenants = 0;
  std::int64_t max_streams = 0;
  std::int64_t max_tenant_bytes = 0;
  std::string json_lines;
  std::string log_level;
  std::int64_t shutdown_deadline_ms = 0;
  struct Audit {
    std::string path;
    std::string key_file;
    std::string key_env;
  } audit;
};

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
