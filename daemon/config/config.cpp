#include "config/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace anomstream::daemon {
namespace {

// Lays `overlay` over `base`, key by key, recursing into maps.
YAML::Node merge(const YAML::Node& base, const YAML::Node& overlay) {
  if (!overlay.IsDefined() || overlay.IsNull()) {
    return YAML::Clone(base);
  }
  if (!base.IsMap() || !overlay.IsMap()) {
    return YAML::Clone(overlay);
  }
  YAML::Node out = YAML::Clone(base);
  for (const auto& entry : overlay) {
    const std::string key = entry.first.Scalar();
    out[key] = merge(base[key], entry.second);
  }
  return out;
}

Endpoint parse_endpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  Endpoint e;
  e.host = text.substr(0, colon);
  if (e.host.size() >= 2 && e.host.front() == '[') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  e.port = static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)));
  return e;
}

DaemonConfig to_config(const YAML::Node& n) {
  DaemonConfig c;
  c.grpc.listen = parse_endpoint(n["server"]["grpc"]["listen"].as<std::string>());
  c.grpc.max_message_bytes = n["server"]["grpc"]["max_message_bytes"].as<std::int64_t>();
  c.udp.listen = parse_endpoint(n["server"]["udp"]["listen"].as<std::string>());
  c.udp.max_datagram_bytes = n["server"]["udp"]["max_datagram_bytes"].as<std::int64_t>();
  c.metrics_listen = parse_endpoint(n["server"]["metrics"]["listen"].as<std::string>());
  c.max_batch = n["ingest"]["max_batch"].as<std::int64_t>();
  c.max_dimension = n["ingest"]["max_dimension"].as<std::int64_t>();
  c.worker_count = n["workers"]["count"].as<std::int64_t>();
  c.queue_capacity = n["workers"]["queue_capacity"].as<std::int64_t>();
  const auto& sampler = n["hotpath"]["sampler"];
  c.sampler.mode = sampler["mode"].as<std::string>();
  c.sampler.every = sampler["every"].as<std::int64_t>();
  c.sampler.rate = sampler["rate"].as<double>();
  const auto& cap = n["hotpath"]["rate_cap"];
  c.rate_cap.enabled = cap["enabled"].as<bool>();
  c.rate_cap.per_window = cap["per_window"].as<std::int64_t>();
  c.rate_cap.window_ms = cap["window_ms"].as<std::int64_t>();
  const auto& p = n["pipeline"];
  c.pipeline.dimension = p["dimension"].as<std::int64_t>();
  c.pipeline.normalizer = p["normalizer"].as<std::string>();
  c.pipeline.num_trees = p["forest"]["num_trees"].as<std::int64_t>();
  c.pipeline.sample_size = p["forest"]["sample_size"].as<std::int64_t>();
  c.pipeline.seed = p["forest"]["seed"].as<std::uint64_t>();
  c.pipeline.time_decay = p["forest"]["time_decay"].as<double>();
  c.pipeline.output_after = p["forest"]["output_after"].as<std::int64_t>();
  c.pipeline.z_factor = p["threshold"]["z_factor"].as<double>();
  c.pipeline.min_score = p["threshold"]["min_score"].as<double>();
  c.pipeline.severity_thresholds = p["severity_thresholds"].as<std::vector<double>>();
  c.pipeline.top_features = p["top_features"].as<std::int64_t>();
  c.max_tenants = n["tenants"]["max_tenants"].as<std::int64_t>();
  c.max_streams = n["tenants"]["max_streams"].as<std::int64_t>();
  c.max_tenant_bytes = n["tenants"]["max_bytes"].as<std::int64_t>();
  c.json_lines = n["sinks"]["json_lines"].as<std::string>();
  c.log_level = n["logging"]["level"].as<std::string>();
  c.shutdown_deadline_ms = n["shutdown"]["deadline_ms"].as<std::int64_t>();
  c.audit.path = n["audit"]["path"].as<std::string>();
  c.audit.key_file = n["audit"]["key_file"].as<std::string>();
  c.audit.key_env = n["audit"]["key_env"].as<std::string>();
  return c;
}

std::expected<YAML::Node, ConfigErrors> parse_and_validate(std::string_view text,
                                                           std::string_view source) {
  ConfigErrors errors{std::string(source), {}};
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors.problems.push_back(ConfigProblem{"", e.mark.line + 1, e.mark.column + 1,
                                            "well-formed YAML", e.msg});
    return std::unexpected(errors);
  }
  validate(doc, config_schema(), "", errors.problems);
  if (!errors.problems.empty()) {
    return std::unexpected(errors);
  }
  return doc;
}

// Rules that span more than one value, checked on the merged document.
void check_semantics(const YAML::Node& merged, std::vector<ConfigProblem>& problems) {
  const YAML::Node bands = merged["pipeline"]["severity_thresholds"];
  const auto values = bands.as<std::vector<double>>();
  bool ok = values.size() == 4;
  for (std::size_t i = 0; ok && i < values.size(); ++i) {
    ok = values[i] > 0 && values[i] <= 1 && (i == 0 || values[i] > values[i - 1]);
  }
  if (!ok) {
    const YAML::Mark mark = bands.Mark();
    problems.push_back(ConfigProblem{"pipeline.severity_thresholds", mark.line + 1, mark.column + 1,
                                     "4 strictly increasing grades in (0, 1] (low, medium, high, critical)",
                                     YAML::Dump(bands)});
  }
}

}  // namespace

std::string ConfigErrors::message() const {
  std::string out;
  for (const auto& p : problems) {
    out += p.message(source);
    out += '\n';
  }
  return out;
}

std::expected<DaemonConfig, ConfigErrors> load_config(std::string_view text,
                                                      std::string_view source) {
  auto defaults = parse_and_validate(DEFAULT_CONFIG_YAML, "<built-in default.yaml>");
  if (!defaults) {
    return std::unexpected(defaults.error());
  }
  auto user = parse_and_validate(text, source);
  if (!user) {
    return std::unexpected(user.error());
  }
  const YAML::Node merged = merge(*defaults, *user);
  ConfigErrors errors{std::string(source), {}};
  check_semantics(merged, errors.problems);
  if (!errors.problems.empty()) {
    return std::unexpected(errors);
  }
  return to_config(merged);
}

std::expected<DaemonConfig, ConfigErrors> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(ConfigErrors{path, {ConfigProblem{"", 0, 0, "a readable file",
                                                             "cannot open it"}}});
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return load_config(buffer.str(), path);
}

DaemonConfig default_config() {
  auto config = load_config("", "<built-in default.yaml>");
  if (!config) {
    throw std::logic_error("built-in default.yaml is invalid: " + config.error().message());
  }
  return *config;
}

}  // namespace anomstream::daemon
