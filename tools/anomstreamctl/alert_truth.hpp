#pragma once
// Alerts against the synthetic stream's ground truth. The traffic generator knows which
// observations it made anomalous; an alert names its tenant, stream and observation
// timestamp, so each alert is one of:
//   on time  on an injected anomaly's own observation;
//   echo     within `echo_steps` observations after one on the same stream (a window
//            detector sees an anomaly again in every window that still holds it);
//   false    neither.
// An injected anomaly is caught when an alert lands on it or within its echo window,
// and caught on time when one lands on it.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "traffic_generator.hpp"

namespace anomstream::tools {

struct AlertSighting {
  std::string detector;  // the alert's "detector" field ("" when absent)
  std::string tenant;
  std::string stream;
  std::int64_t timestamp_ns = 0;
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

  // on_time / alerts; 0 without alerts.
  [[nodiscard]] double precision() const noexcept;
  // (on_time + echoes) / alerts: alerts that belong to an injected anomaly.
  [[nodiscard]] double incident_precision() const noexcept;
  [[nodiscard]] double recall() const noexcept;  // caught / injected
};

// The first `count` observations of the generator `config`, against `alerts`, by the
// alerts' detector (every detector is graded against the same injected anomalies).
std::map<std::string, TruthTally> grade_alerts(const TrafficConfig& config, std::uint64_t count,
                                               const std::vector<AlertSighting>& alerts, std::uint64_t echo_steps);

// The sighting in one JSON line of the daemon's alert sink; false for a line that is
// not a complete alert (e.g. one still being written).
bool parse_alert_line(const std::string& line, AlertSighting& out);

}  // namespace anomstream::tools
