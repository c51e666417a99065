#include "sink/alert_json.hpp"

#include <fmt/format.h>

#include <cmath>

namespace anomstream::daemon {

std::string_view severity_name(v1::Severity severity) noexcept {
  switch (severity) {
    case v1::SEVERITY_LOW: return "low";
    case v1::SEVERITY_MEDIUM: return "medium";
    case v1::SEVERITY_HIGH: return "high";
    case v1::SEVERITY_CRITICAL: return "critical";
    default: return "none";
  }
}

namespace {
// JSON has no NaN/Inf; they cannot reach an alert, but never emit invalid JSON.
std::string number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }
}  // namespace

std::string alert_to_json(const v1::Alert& a) {
  std::string out = "{\"alert_id\":";
  append_json_string(out, a.alert_id());
  out += fmt::format(",\"sequence\":{},\"tenant\":", a.sequence());
  append_json_string(out, a.tenant());
  out += ",\"stream\":";
  append_json_string(out, a.stream());
  out += ",\"detector\":";
  append_json_string(out, a.detector());
  out += fmt::format(",\"timestamp_ns\":{},\"received_ns\":{},\"score\":{},\"grade\":{},"
                     "\"severity\":\"{}\",\"threshold\":{},\"cluster_id\":{},\"probability\":{},"
                     "\"suppressed\":{},\"feedback\":\"{}\",\"model_version\":",
                     a.timestamp_ns(), a.received_ns(), number(a.score()), number(a.grade()),
                     severity_name(a.severity()), number(a.threshold()), a.cluster_id(), number(a.probability()),
                     a.suppressed() ? "true" : "false", a.feedback());
  append_json_string(out, a.model_version());
  out += ",\"top_features\":[";
  for (int i = 0; i < a.top_features_size(); ++i) {
    const auto& f = a.top_features(i);
    out += fmt::format("{}{{\"index\":{},\"share\":{},\"direction\":\"{}\",\"value\":{},\"expected\":{}}}",
                       i == 0 ? "" : ",", f.index(), number(f.share()),
                       f.direction() == v1::DIRECTION_LOW ? "low" : "high", number(f.value()),
                       number(f.expected()));
  }
  out += "]}";
  return out;
}

}  // namespace anomstream::daemon
