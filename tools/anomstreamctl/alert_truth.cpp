#include "alert_truth.hpp"

#include "anomstream/eval/calibration_error.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <tuple>

namespace anomstream::tools {

bool json_field(const std::string& line, std::string_view name, std::string& out) {
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
  if (!json_field(line, "tenant", out.tenant) || !json_field(line, "stream", out.stream) ||
      !json_field(line, "timestamp_ns", timestamp)) {
    return false;
  }
  if (!json_field(line, "detector", out.detector)) out.detector.clear();
  if (!json_field(line, "alert_id", out.alert_id)) out.alert_id.clear();
  std::string number;
  out.cluster_id = json_field(line, "cluster_id", number) ? std::strtoull(number.c_str(), nullptr, 10) : 0;
  out.probability = json_field(line, "probability", number) ? std::strtod(number.c_str(), nullptr) : -1;
  out.score = json_field(line, "score", number) ? std::strtod(number.c_str(), nullptr) : 0;
  const auto [ptr, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), out.timestamp_ns);
  return ec == std::errc() && ptr == timestamp.data() + timestamp.size();
}

InjectedTruth::InjectedTruth(const TrafficConfig& config, std::uint64_t count, std::uint64_t echo_steps)
    : echo_ns_(static_cast<std::int64_t>(echo_steps) * config.step_ns) {
  TrafficGenerator generator(config);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto o = generator.next();
    if (o.anomaly == AnomalyKind::none) continue;
    // Incidents are numbered from 1 in the order they start; each of its rows names it.
    if (o.incident > kinds_.size()) kinds_.push_back(o.anomaly);
    by_stream_[{o.tenant, o.stream}].push_back({o.timestamp_ns, static_cast<std::size_t>(o.incident - 1)});
  }
}

InjectedTruth::Match InjectedTruth::classify(const AlertSighting& a) const {
  const auto stream = by_stream_.find({a.tenant, a.stream});
  if (stream == by_stream_.end()) return {};
  const auto& injected = stream->second;
  // The latest injected anomaly at or before the alert's observation.
  auto it = std::upper_bound(injected.begin(), injected.end(), a.timestamp_ns,
                             [](std::int64_t t, const Injected& x) { return t < x.timestamp_ns; });
  if (it == injected.begin()) return {};
  --it;
  if (it->timestamp_ns == a.timestamp_ns) return {SightingKind::on_time, it->index};
  if (a.timestamp_ns - it->timestamp_ns <= echo_ns_) return {SightingKind::echo, it->index};
  return {};
}

std::map<std::string, TruthTally> grade_alerts(const TrafficConfig& config, std::uint64_t count,
                                               const std::vector<AlertSighting>& alerts, std::uint64_t echo_steps,
                                               std::uint64_t review) {
  const InjectedTruth truth(config, count, echo_steps);
  std::map<std::string, std::vector<const AlertSighting*>> by_detector;
  for (const auto& a : alerts) by_detector[a.detector].push_back(&a);

  std::map<std::string, TruthTally> out;
  for (const auto& [detector, sightings] : by_detector) {
    TruthTally& tally = out[detector];
    std::vector<bool> caught(truth.anomalies(), false), on_time(truth.anomalies(), false);
    using ClusterKey = std::tuple<std::string, std::string, std::uint64_t>;
    std::set<ClusterKey> clusters;
    std::map<std::size_t, std::set<ClusterKey>> clusters_of_anomaly;
    std::map<std::size_t, std::set<ClusterKey>> clusters_on_rows;  // of its on-time alerts only
    std::map<ClusterKey, std::set<std::size_t>> anomalies_of_cluster;
    std::map<std::pair<std::string, std::string>, std::uint64_t> seen_on_stream;
    std::vector<double> probabilities;
    std::vector<std::uint8_t> outcomes;
    std::uint64_t unclustered = 0;
    for (const AlertSighting* a : sightings) {
      ++tally.alerts;
      const auto match = truth.classify(*a);
      const bool real = match.kind != SightingKind::false_alert;
      if (match.kind == SightingKind::on_time) {
        ++tally.on_time;
        caught[match.anomaly] = on_time[match.anomaly] = true;
      } else if (match.kind == SightingKind::echo) {
        ++tally.echoes;
        caught[match.anomaly] = true;
      } else {
        ++tally.false_alerts;
      }
      // Without a cluster id an alert is its own incident.
      const ClusterKey cluster{a->tenant, a->cluster_id == 0 ? a->stream + "#" + std::to_string(++unclustered) : "",
                               a->cluster_id};
      clusters.insert(cluster);
      if (real) {
        clusters_of_anomaly[match.anomaly].insert(cluster);
        anomalies_of_cluster[cluster].insert(match.anomaly);
      }
      if (match.kind == SightingKind::on_time) clusters_on_rows[match.anomaly].insert(cluster);
      if (++seen_on_stream[{a->tenant, a->stream}] > review) {
        ++tally.later_alerts;
        tally.later_false += real ? 0 : 1;
      }
      if (a->probability >= 0) {
        probabilities.push_back(a->probability);
        outcomes.push_back(real ? 1 : 0);
      }
    }
    tally.clusters = clusters.size();
    for (const auto& [anomaly, its] : clusters_of_anomaly) {
      tally.clusters_on_anomalies += its.size();
      const bool shared = std::any_of(its.begin(), its.end(),
                                      [&](const ClusterKey& c) { return anomalies_of_cluster[c].size() > 1; });
      tally.shared_clusters += shared ? 1 : 0;
    }
    for (const auto& [anomaly, its] : clusters_on_rows) tally.clusters_on_rows += its.size();
    tally.with_probability = probabilities.size();
    // Probabilities come from the alert lines; one outside [0, 1] leaves the figure at 0.
    tally.ece = eval::expected_calibration_error(probabilities, outcomes).value_or(0.0);
    for (std::size_t i = 0; i < truth.anomalies(); ++i) {
      const auto kind = static_cast<std::size_t>(truth.kind(i));
      ++tally.injected;
      ++tally.injected_by_kind[kind];
      tally.caught += caught[i] ? 1 : 0;
      tally.caught_on_time += on_time[i] ? 1 : 0;
      tally.caught_by_kind[kind] += caught[i] ? 1 : 0;
    }
  }
  return out;
}

}  // namespace anomstream::tools
