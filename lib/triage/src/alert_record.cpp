#include "anomstream/triage/alert_record.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "anomstream/triage/json_text.hpp"
#include "flat_json_reader.hpp"

namespace anomstream::triage {

namespace {

using detail::FlatJsonReader;

// The keys in the order to_json() writes them; the schema lists the same.
namespace json_key {
enum Key : std::size_t {
  schema_version, alert_id, tenant, stream, timestamp_ns, received_ns, emitted_ns, score,
  probability, severity, cluster_id, model_version, attribution, KEY_COUNT
};
}  // namespace json_key
using json_key::Key;
using json_key::KEY_COUNT;
constexpr std::array<std::string_view, KEY_COUNT> KEYS{
    "schema_version", "alert_id", "tenant", "stream", "timestamp_ns", "received_ns",
    "emitted_ns", "score", "probability", "severity", "cluster_id", "model_version",
    "attribution"};

Status check_text(const std::string& value, std::string_view field) {
  if (value.empty() || value.size() > AlertRecord::MAX_TEXT_BYTES) {
    return fail(ErrorCode::invalid_input, std::string(field), "1 to 512 bytes");
  }
  return {};
}

Status check_time(std::int64_t value, std::string_view field) {
  if (value < 0) return fail(ErrorCode::invalid_input, std::string(field), ">= 0");
  return {};
}

// A reader error restated against the key being read.
std::unexpected<Error> at_key(const Error& error, std::string_view key) {
  return fail(ErrorCode::parse_error, std::string(key), error.bound + " (" + error.field + ")");
}

Status read_string(FlatJsonReader& r, std::string_view key, std::string& out) {
  if (!r.peek('"')) return fail(ErrorCode::parse_error, std::string(key), "a string");
  auto value = r.string_value();
  if (!value) return at_key(value.error(), key);
  out = std::move(*value);
  return {};
}

Status read_unsigned(FlatJsonReader& r, std::string_view key, std::uint64_t& out) {
  auto value = r.unsigned_value();
  if (!value) return fail(ErrorCode::parse_error, std::string(key), "an integer >= 0");
  out = *value;
  return {};
}

Status read_time(FlatJsonReader& r, std::string_view key, std::int64_t& out) {
  std::uint64_t value = 0;
  if (auto ok = read_unsigned(r, key, value); !ok) return ok;
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(ErrorCode::parse_error, std::string(key), "an integer in [0, 2^63)");
  }
  out = static_cast<std::int64_t>(value);
  return {};
}

Status read_number(FlatJsonReader& r, std::string_view key, double& out) {
  auto value = r.number_value();
  if (!value) return fail(ErrorCode::parse_error, std::string(key), "a number");
  out = *value;
  return {};
}

Status read_attribution_entry(FlatJsonReader& r, const std::string& prefix, AttributionEntry& out) {
  if (auto ok = r.expect('{'); !ok) return fail(ErrorCode::parse_error, prefix, "an object");
  std::array<bool, 3> seen{};
  constexpr std::array<std::string_view, 3> names{"index", "share", "direction"};
  for (bool first = true; !r.peek('}'); first = false) {
    if (!first) {
      if (auto ok = r.expect(','); !ok) return at_key(ok.error(), prefix);
    }
    std::string name;
    if (auto ok = read_string(r, prefix, name); !ok) return ok;
    const std::string key = prefix + "." + name;
    if (auto ok = r.expect(':'); !ok) return at_key(ok.error(), key);
    std::size_t k = 0;
    while (k < names.size() && names[k] != name) ++k;
    if (k == names.size()) return fail(ErrorCode::parse_error, key, "an attribution key");
    if (seen[k]) return fail(ErrorCode::parse_error, key, "at most once");
    seen[k] = true;
    Status ok;
    if (k == 0) {
      ok = read_unsigned(r, key, out.index);
    } else if (k == 1) {
      ok = read_number(r, key, out.share);
    } else {
      std::string direction;
      ok = read_string(r, key, direction);
      if (ok && direction != "high" && direction != "low") {
        ok = fail(ErrorCode::parse_error, key, "\"high\" or \"low\"");
      }
      out.direction = direction == "low" ? AttributionDirection::low : AttributionDirection::high;
    }
    if (!ok) return ok;
  }
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (!seen[k]) return fail(ErrorCode::parse_error, prefix + "." + std::string(names[k]), "required");
  }
  return r.expect('}');
}

Status read_attribution(FlatJsonReader& r, std::vector<AttributionEntry>& out) {
  if (auto ok = r.expect('['); !ok) return fail(ErrorCode::parse_error, "attribution", "an array");
  while (!r.peek(']')) {
    if (!out.empty()) {
      if (auto ok = r.expect(','); !ok) return at_key(ok.error(), "attribution");
    }
    if (out.size() == AlertRecord::MAX_ATTRIBUTION) {
      return fail(ErrorCode::invalid_input, "attribution", "at most 4096 entries");
    }
    AttributionEntry entry;
    if (auto ok = read_attribution_entry(r, "attribution[" + std::to_string(out.size()) + "]", entry);
        !ok) {
      return ok;
    }
    out.push_back(entry);
  }
  return r.expect(']');
}

Status read_value(FlatJsonReader& r, Key key, AlertContext& c, std::uint64_t& version) {
  const std::string_view name = KEYS[key];
  switch (key) {
    case json_key::schema_version: return read_unsigned(r, name, version);
    case json_key::alert_id: return read_string(r, name, c.alert_id);
    case json_key::tenant: return read_string(r, name, c.tenant);
    case json_key::stream: return read_string(r, name, c.stream);
    case json_key::timestamp_ns: return read_time(r, name, c.timestamp_ns);
    case json_key::received_ns: return read_time(r, name, c.received_ns);
    case json_key::emitted_ns: return read_time(r, name, c.emitted_ns);
    case json_key::score: return read_number(r, name, c.score);
    case json_key::probability: return read_number(r, name, c.probability);
    case json_key::severity: {
      std::string text;
      if (auto ok = read_string(r, name, text); !ok) return ok;
      auto parsed = stats::parse_severity(text, name);
      if (!parsed) return std::unexpected(parsed.error());
      c.severity = *parsed;
      return {};
    }
    case json_key::cluster_id: return read_unsigned(r, name, c.cluster_id);
    case json_key::model_version: return read_string(r, name, c.model_version);
    case json_key::attribution: return read_attribution(r, c.attribution);
    case KEY_COUNT: break;
  }
  return {};
}

void append_key(std::string& out, Key key) {
  out += key == json_key::schema_version ? "{\"" : ",\"";
  out += KEYS[key];
  out += "\":";
}

}  // namespace

std::string_view to_string(AttributionDirection direction) noexcept {
  return direction == AttributionDirection::low ? "low" : "high";
}

Result<AlertRecord> AlertRecord::create(AlertContext c) {
  for (auto [value, field] : {std::pair{&c.alert_id, "alert_id"}, std::pair{&c.tenant, "tenant"},
                              std::pair{&c.stream, "stream"},
                              std::pair{&c.model_version, "model_version"}}) {
    if (auto ok = check_text(*value, field); !ok) return std::unexpected(ok.error());
  }
  for (auto [value, field] : {std::pair{c.timestamp_ns, "timestamp_ns"},
                              std::pair{c.received_ns, "received_ns"},
                              std::pair{c.emitted_ns, "emitted_ns"}}) {
    if (auto ok = check_time(value, field); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = require_finite(c.score, "score"); !ok) return std::unexpected(ok.error());
  if (!(c.probability >= 0.0 && c.probability <= 1.0)) {
    return fail(ErrorCode::invalid_input, "probability", "in [0, 1]");
  }
  if (static_cast<std::size_t>(c.severity) >= stats::SEVERITY_LEVELS) {
    return fail(ErrorCode::invalid_input, "severity", "a severity level");
  }
  if (c.attribution.size() > MAX_ATTRIBUTION) {
    return fail(ErrorCode::invalid_input, "attribution", "at most 4096 entries");
  }
  for (std::size_t i = 0; i < c.attribution.size(); ++i) {
    const std::string field = "attribution[" + std::to_string(i) + "]";
    if (!std::isfinite(c.attribution[i].share)) return fail(ErrorCode::non_finite, field + ".share", "finite");
    if (c.attribution[i].direction != AttributionDirection::high &&
        c.attribution[i].direction != AttributionDirection::low) {
      return fail(ErrorCode::invalid_input, field + ".direction", "high or low");
    }
  }
  return AlertRecord(std::move(c));
}

std::string AlertRecord::to_json() const {
  const AlertContext& c = context_;
  std::string out;
  append_key(out, json_key::schema_version);
  out += std::to_string(ALERT_RECORD_SCHEMA_VERSION);
  for (auto [key, text] : {std::pair{json_key::alert_id, &c.alert_id}, std::pair{json_key::tenant, &c.tenant},
                           std::pair{json_key::stream, &c.stream}}) {
    append_key(out, key);
    append_json_string(out, *text);
  }
  for (auto [key, value] : {std::pair{json_key::timestamp_ns, c.timestamp_ns}, std::pair{json_key::received_ns, c.received_ns},
                            std::pair{json_key::emitted_ns, c.emitted_ns}}) {
    append_key(out, key);
    out += std::to_string(value);
  }
  append_key(out, json_key::score);
  append_json_number(out, c.score);
  append_key(out, json_key::probability);
  append_json_number(out, c.probability);
  append_key(out, json_key::severity);
  append_json_string(out, stats::to_string(c.severity));
  append_key(out, json_key::cluster_id);
  out += std::to_string(c.cluster_id);
  append_key(out, json_key::model_version);
  append_json_string(out, c.model_version);
  append_key(out, json_key::attribution);
  out += '[';
  for (std::size_t i = 0; i < c.attribution.size(); ++i) {
    const AttributionEntry& e = c.attribution[i];
    out += i == 0 ? "{\"index\":" : ",{\"index\":";
    out += std::to_string(e.index);
    out += ",\"share\":";
    append_json_number(out, e.share);
    out += ",\"direction\":\"";
    out += to_string(e.direction);
    out += "\"}";
  }
  out += "]}";
  return out;
}

Result<AlertRecord> AlertRecord::from_json(std::string_view text) {
  FlatJsonReader r(text);
  AlertContext c;
  std::uint64_t version = 0;
  std::array<bool, KEY_COUNT> seen{};
  if (auto ok = r.expect('{'); !ok) return at_key(ok.error(), "alert record");
  for (bool first = true; !r.peek('}'); first = false) {
    if (!first) {
      if (auto ok = r.expect(','); !ok) return at_key(ok.error(), "alert record");
    }
    std::string name;
    if (auto ok = read_string(r, "alert record", name); !ok) return std::unexpected(ok.error());
    if (auto ok = r.expect(':'); !ok) return at_key(ok.error(), name);
    std::size_t k = 0;
    while (k < KEY_COUNT && KEYS[k] != name) ++k;
    if (k == KEY_COUNT) return fail(ErrorCode::parse_error, name, "a key of the alert record schema");
    if (seen[k]) return fail(ErrorCode::parse_error, name, "at most once");
    seen[k] = true;
    if (auto ok = read_value(r, static_cast<Key>(k), c, version); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = r.expect('}'); !ok) return at_key(ok.error(), "alert record");
  if (!r.at_end()) return fail(ErrorCode::parse_error, "alert record", "nothing after the object");
  for (std::size_t k = 0; k < KEY_COUNT; ++k) {
    if (!seen[k]) return fail(ErrorCode::parse_error, std::string(KEYS[k]), "required");
  }
  if (version != ALERT_RECORD_SCHEMA_VERSION) {
    return fail(ErrorCode::parse_error, "schema_version", "== 1");
  }
  return create(std::move(c));
}

}  // namespace anomstream::triage
