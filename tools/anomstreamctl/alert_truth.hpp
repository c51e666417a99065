#pragma once
// Alerts against the synthetic stream's ground truth. The traffic generator knows which
// observations it made anomalous and which injected incident each belongs to (one
// observation each unless the generator's incident_rows says more); an alert names its
// tenant, stream and observation timestamp, so each alert is one of:
//   on time  on one of an injected incident's own observations;
//   echo     within `echo_steps` observations after one on the same stream (a window
//            detector sees an anomaly again in every window that still holds it);
//   false    neither.
// An injected anomaly (incident) is caught when an alert lands on it or within its echo
// window, and caught on time when one lands on it.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "traffic_generator.hpp"

namespace anomstream::tools {

struct AlertSighting {
  std::string detector;  // the alert's "detector" field ("" when absent)
  std::string tenant;
  std::string stream;
  std::int64_t timestamp_ns = 0;
  std::string alert_id;         // "" when absent
  std::uint64_t cluster_id = 0;  // 0 when absent
  double probability = -1;       // -1 when absent
  double score = 0;              // the detector's raw score (0 when absent)
};

enum class SightingKind : std::uint8_t { on_time, echo, false_alert };

// The generator's injected anomalies, for classifying alerts one at a time (a live
// analyst) or all at once (grade_alerts).
class InjectedTruth {
 public:
  InjectedTruth(const TrafficConfig& config, std::uint64_t count, std::uint64_t echo_steps);
  struct Match {
    SightingKind kind = SightingKind::false_alert;
    std::size_t anomaly = 0;  // index among all injected incidents (on_time, echo)
  };
  [[nodiscard]] Match classify(const AlertSighting& alert) const;
  [[nodiscard]] std::size_t anomalies() const noexcept { return kinds_.size(); }
  [[nodiscard]] AnomalyKind kind(std::size_t anomaly) const { return kinds_[anomaly]; }

 private:
  struct Injected {
    std::int64_t timestamp_ns;
    std::size_t index;
  };
  std::map<std::pair<std::string, std::string>, std::vector<Injected>> by_stream_;  // time order
  std::vector<AnomalyKind> kinds_;
  std::int64_t echo_ns_ = 0;
};

struct TruthTally {
  std::uint64_t injected = 0;
  std::uint64_t caught = 0;
  std::uint64_t caught_on_time = 0;
  std::uint64_t alerts = 0;
  std::uint64_t on_time = 0;
  std::uint64_t echoes = 0;
  std::uint64_t false_alerts = 0;
  // By AnomalyKind (index 0, none, unused): injected and caught.
  std::array<std::uint64_t, 4> injected_by_kind{};
  std::array<std::uint64_t, 4> caught_by_kind{};
  // Incidents: the alerts' clusters (tenant, cluster_id; alerts without one count alone).
  std::uint64_t clusters = 0;            // distinct over all alerts
  std::uint64_t clusters_on_anomalies = 0;  // sum over caught anomalies of its alerts' distinct clusters
  std::uint64_t clusters_on_rows = 0;    // sum over anomalies caught on time of their on-time alerts' clusters
  std::uint64_t shared_clusters = 0;     // caught anomalies whose cluster also holds another anomaly's alert
  // After each stream's first `review` alerts (the ones an analyst looked at).
  std::uint64_t later_alerts = 0;
  std::uint64_t later_false = 0;
  // Calibration of the alerts' probabilities against "on an anomaly or its echo".
  std::uint64_t with_probability = 0;
  double ece = 0;  // expected calibration error, 10 equal-width bins

  // on_time / alerts; 0 without alerts.
  [[nodiscard]] double precision() const noexcept;
  // (on_time + echoes) / alerts: alerts that belong to an injected anomaly.
  [[nodiscard]] double incident_precision() const noexcept;
  [[nodiscard]] double recall() const noexcept;  // caught / injected
};

// The first `count` observations of the generator `config`, against `alerts`, by the
// alerts' detector (every detector is graded against the same injected anomalies).
// `review`: alerts per stream counted as reviewed, before later_alerts and later_false.
std::map<std::string, TruthTally> grade_alerts(const TrafficConfig& config, std::uint64_t count,
                                               const std::vector<AlertSighting>& alerts, std::uint64_t echo_steps,
                                               std::uint64_t review = 0);


// The value of a top-level string or scalar field of one JSON line the daemon writes
// ("name":"text" as text without its quotes, "name":123 or "name":true as written).
// Strings are taken up to the next quote: for the names, ids and numbers the daemon
// writes, which carry no escaped quotes. False when the field is absent or cut off.
bool json_field(const std::string& line, std::string_view name, std::string& out);

// The sighting in one JSON line of the daemon's alert sink; false for a line that is
// not a complete alert (e.g. one still being written).
bool parse_alert_line(const std::string& line, AlertSighting& out);

}  // namespace anomstream::tools
