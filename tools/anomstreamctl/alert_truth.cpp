#include "alert_truth.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace anomstream::tools {
namespace {

// The value of a top-level string or integer field as the daemon's alert writer puts it
// ("name":"text" or "name":123). Its writer escapes quotes inside strings, so the first
// unescaped quote ends one; names here are generator names without escapes.
bool field(const std::string& line, std::string_view name, std::string& out) {
  const std::string key = "\"" + std::string(name) + "\":";
  const auto at = line.find(key);
  if (at == std::string::npos) return false;
  std::size_t start = at + key.size();
  if (start < line.size() && line[start] == '"') {
    const auto end = line.find('"', start + 1);
    if (end == std::string::npos) return false;
    out = line.substr(start + 1, end - start - 1);
    return true;
  }
  const auto end = line.find_first_of(",}", start);
  if (end == std::string::npos) return false;
  out = line.substr(start, end - start);
  return true;
}

using StreamKey = std::pair<std::string, std::string>;

struct Injected {
  std::int64_t timestamp_ns = 0;
  AnomalyKind kind = AnomalyKind::none;
  bool caught = false;
  bool on_time = false;
};

}  // namespace

double TruthTally::precision() const noexcept {
  return alerts == 0 ? 0.0 : static_cast<double>(on_time) / static_cast<double>(alerts);
}
double TruthTally::incident_precision() const noexcept {
  return alerts == 0 ? 0.0 : static_cast<double>(on_time + echoes) / static_cast<double>(alerts);
}
double TruthTally::recall() const noexcept {
  return injected == 0 ? 0.0 : static_cast<double>(caught) / static_cast<double>(injected);
}

bool parse_alert_line(const std::string& line, AlertSighting& out) {
  if (line.empty() || line.back() != '}') return false;
  std::string timestamp;
  if (!field(line, "tenant", out.tenant) || !field(line, "stream", out.stream) ||
      !field(line, "timestamp_ns", timestamp)) {
    return false;
  }
  if (!field(line, "detector", out.detector)) out.detector.clear();
  const auto [ptr, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), out.timestamp_ns);
  return ec == std::errc() && ptr == timestamp.data() + timestamp.size();
}

std::map<std::string, TruthTally> grade_alerts(const TrafficConfig& config, std::uint64_t count,
                                               const std::vector<AlertSighting>& alerts, std::uint64_t echo_steps) {
  std::map<StreamKey, std::vector<Injected>> truth;  // per stream, in time order
  TrafficGenerator generator(config);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto o = generator.next();
    if (o.anomaly != AnomalyKind::none) truth[{o.tenant, o.stream}].push_back({o.timestamp_ns, o.anomaly});
  }
  std::map<std::string, std::vector<const AlertSighting*>> by_detector;
  for (const auto& a : alerts) by_detector[a.detector].push_back(&a);
  const std::int64_t echo_ns = static_cast<std::int64_t>(echo_steps) * config.step_ns;

  std::map<std::string, TruthTally> out;
  for (const auto& [detector, sightings] : by_detector) {
    auto marks = truth;  // caught flags are per detector
    TruthTally& tally = out[detector];
    for (const AlertSighting* a : sightings) {
      ++tally.alerts;
      auto stream = marks.find({a->tenant, a->stream});
      if (stream == marks.end()) {
        ++tally.false_alerts;
        continue;
      }
      auto& injected = stream->second;
      // The latest injected anomaly at or before the alert's observation.
      auto it = std::upper_bound(injected.begin(), injected.end(), a->timestamp_ns,
                                 [](std::int64_t t, const Injected& x) { return t < x.timestamp_ns; });
      if (it == injected.begin()) {
        ++tally.false_alerts;
        continue;
      }
      --it;
      if (it->timestamp_ns == a->timestamp_ns) {
        ++tally.on_time;
        it->caught = it->on_time = true;
      } else if (a->timestamp_ns - it->timestamp_ns <= echo_ns) {
        ++tally.echoes;
        it->caught = true;
      } else {
        ++tally.false_alerts;
      }
    }
    for (const auto& [key, injected] : marks) {
      for (const auto& x : injected) {
        const auto kind = static_cast<std::size_t>(x.kind);
        ++tally.injected;
        ++tally.injected_by_kind[kind];
        tally.caught += x.caught ? 1 : 0;
        tally.caught_on_time += x.on_time ? 1 : 0;
        tally.caught_by_kind[kind] += x.caught ? 1 : 0;
      }
    }
  }
  return out;
}

}  // namespace anomstream::tools
