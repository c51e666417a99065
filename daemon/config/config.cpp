#include "config/config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "anomstream/subsequence/subsequence_kmeans.hpp"

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

// Where the user's document set a key (line and column 1-based; 0 when the value came
// from the defaults). The merged document's nodes are copies without positions.
std::pair<int, int> user_position(const YAML::Node& user, std::initializer_list<const char*> keys, int index = -1) {
  // Const lookups (a missing key yields an undefined node, never inserts one); reset()
  // rebinds without assigning through to the node that was there.
  YAML::Node node;
  node.reset(user);
  for (const char* key : keys) {
    const YAML::Node& parent = node;
    if (!parent.IsMap() || !parent[key]) return {0, 0};
    node.reset(parent[key]);
  }
  if (index >= 0) {
    const YAML::Node& parent = node;
    if (!parent.IsSequence() || static_cast<std::size_t>(index) >= parent.size()) return {0, 0};
    node.reset(parent[static_cast<std::size_t>(index)]);
  }
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? std::pair{0, 0} : std::pair{mark.line + 1, mark.column + 1};
}

// A stream pattern named in two of pipeline.streams' lists; the warm-up and reservoir of
// kmeans hold at least its clusters; with a fixed dimension, a kmeans window fits.
void check_detectors(const YAML::Node& user, const DaemonConfig& config, std::vector<ConfigProblem>& problems) {
  const auto& p = config.pipeline;
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"forest", &p.streams.forest}, {"kmeans", &p.streams.kmeans}, {"left_mp", &p.streams.left_mp}};
  for (std::size_t a = 0; a < std::size(lists); ++a) {
    for (std::size_t i = 0; i < lists[a].second->size(); ++i) {
      const std::string& pattern = (*lists[a].second)[i];
      for (std::size_t b = 0; b <= a; ++b) {
        const auto& other = *lists[b].second;
        const auto end = b == a ? other.begin() + static_cast<std::ptrdiff_t>(i) : other.end();
        if (std::find(other.begin(), end, pattern) == end) continue;
        const auto [line, column] = user_position(user, {"pipeline", "streams", lists[a].first}, static_cast<int>(i));
        problems.push_back(ConfigProblem{fmt::format("pipeline.streams.{}[{}]", lists[a].first, i), line, column,
                                         "each stream pattern in one list, once",
                                         fmt::format("\"{}\" also in pipeline.streams.{}", pattern, lists[b].first)});
      }
    }
  }
  for (const auto& [key, value] : {std::pair{"warmup", p.kmeans.warmup}, std::pair{"reservoir", p.kmeans.reservoir}}) {
    if (value >= p.kmeans.clusters) continue;
    const auto [line, column] = user_position(user, {"pipeline", "kmeans", key});
    problems.push_back(ConfigProblem{fmt::format("pipeline.kmeans.{}", key), line, column,
                                     fmt::format("at least pipeline.kmeans.clusters ({})", p.kmeans.clusters),
                                     std::to_string(value)});
  }
  if (p.dimension > 0 &&
      static_cast<std::size_t>(p.dimension * p.kmeans.window) > subsequence::SubsequenceKMeans::MAX_WINDOW_VALUES) {
    const auto [line, column] = user_position(user, {"pipeline", "kmeans", "window"});
    problems.push_back(ConfigProblem{"pipeline.kmeans.window", line, column,
                                     fmt::format("pipeline.dimension * window <= {}", subsequence::SubsequenceKMeans::MAX_WINDOW_VALUES),
                                     fmt::format("{} * {}", p.dimension, p.kmeans.window)});
  }
}

// NATS names: the stream, the subject prefix's tokens, the group (which also names
// consumers and buckets) and the instance.
bool nats_name(std::string_view name, bool dots) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || (dots && c == '.');
    if (!ok) return false;
  }
  return !dots || (name.front() != '.' && name.back() != '.' && name.find("..") == std::string_view::npos);
}

void check_jetstream(const YAML::Node& merged, const DaemonConfig& config, std::vector<ConfigProblem>& problems) {
  const auto& js = config.jetstream;
  if (js.servers.empty()) return;
  const YAML::Node node = merged["ingest"]["jetstream"];
  auto report = [&](const char* key, std::string expected, std::string found) {
    const YAML::Mark mark = node[key] ? node[key].Mark() : node.Mark();
    problems.push_back(ConfigProblem{std::string("ingest.jetstream.") + key, mark.line + 1, mark.column + 1,
                                     std::move(expected), std::move(found)});
  };
  constexpr const char* NAME = "1 to 64 of [A-Za-z0-9_-]";
  if (!nats_name(js.stream, false)) report("stream", NAME, js.stream);
  if (!nats_name(js.group, false)) report("group", NAME, js.group);
  if (!nats_name(js.subject_prefix, true)) report("subject_prefix", "dot-separated tokens of [A-Za-z0-9_-]", js.subject_prefix);
  if (!js.instance.empty() && !nats_name(js.instance, false)) report("instance", NAME, js.instance);
  if (!config.state.dir.empty()) {
    const YAML::Mark mark = merged["state"]["dir"].Mark();
    problems.push_back(ConfigProblem{"state.dir", mark.line + 1, mark.column + 1,
                                     "empty when ingest.jetstream.servers is set (partitions keep their state in "
                                     "JetStream)",
                                     config.state.dir});
  }
}

// Rules that span more than one value, checked on the typed config (values read as
// validate() read them) with the merged document for the place to report.
void check_semantics(const YAML::Node& merged, const YAML::Node& user, const DaemonConfig& config,
                     std::vector<ConfigProblem>& problems) {
  const YAML::Node bands = merged["pipeline"]["severity_thresholds"];
  const auto& values = config.pipeline.severity_thresholds;
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
  check_detectors(user, config, problems);
  check_jetstream(merged, config, problems);
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
  auto loaded = load_config_document(text, source);
  if (!loaded) return std::unexpected(loaded.error());
  return std::move(loaded->config);
}

std::expected<LoadedConfig, ConfigErrors> load_config_document(std::string_view text,
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
  LoadedConfig loaded;
  assign(merged, config_schema(), loaded.config);
  ConfigErrors errors{std::string(source), {}};
  check_semantics(merged, *user, loaded.config, errors.problems);
  if (!errors.problems.empty()) {
    return std::unexpected(errors);
  }
  loaded.document = merged;
  return loaded;
}

std::expected<LoadedConfig, ConfigErrors> load_config_document_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(ConfigErrors{path, {ConfigProblem{"", 0, 0, "a readable file",
                                                             "cannot open it"}}});
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return load_config_document(buffer.str(), path);
}

std::expected<DaemonConfig, ConfigErrors> load_config_file(const std::string& path) {
  auto loaded = load_config_document_file(path);
  if (!loaded) return std::unexpected(loaded.error());
  return std::move(loaded->config);
}

namespace {
void compare(const YAML::Node& a, const YAML::Node& b, const Field& schema, const std::string& prefix,
             std::vector<ChangedKey>& out) {
  for (const auto& child : schema.children) {
    const std::string path = prefix.empty() ? child.name : prefix + "." + child.name;
    if (child.kind == FieldKind::map) {
      compare(a[child.name], b[child.name], child, path, out);
    } else if (YAML::Dump(a[child.name]) != YAML::Dump(b[child.name])) {
      out.push_back({path, child.live});
    }
  }
}
}  // namespace

std::vector<ChangedKey> changed_keys(const YAML::Node& before, const YAML::Node& after) {
  std::vector<ChangedKey> out;
  compare(before, after, config_schema(), "", out);
  return out;
}

DaemonConfig default_config() {
  auto config = load_config("", "<built-in default.yaml>");
  if (!config) {
    throw std::logic_error("built-in default.yaml is invalid: " + config.error().message());
  }
  return *config;
}

namespace {
// The schema entry of a dotted path, or nullptr.
const Field* find_field(const std::string& path) {
  const Field* field = &config_schema();
  std::size_t start = 0;
  while (field != nullptr && start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const Field* next = nullptr;
    for (const auto& child : field->children) {
      if (child.name == name) next = &child;
    }
    field = next;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return field;
}

// The node at a dotted path (created on the way in `root` when absent).
YAML::Node node_at(YAML::Node root, const std::string& path) {
  YAML::Node node = root;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    node.reset(node[name]);
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}
}  // namespace

void keep_keys(const std::vector<std::string>& keys, const YAML::Node& from, YAML::Node& document,
               DaemonConfig& config) {
  for (const auto& key : keys) {
    const Field* field = find_field(key);
    if (field == nullptr || !field->assign) continue;
    const YAML::Node value = YAML::Clone(node_at(YAML::Clone(from), key));
    node_at(document, key) = value;
    field->assign(value, config);
  }
}

}  // namespace anomstream::daemon
