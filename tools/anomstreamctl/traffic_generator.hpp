#pragma once
// A deterministic generator of network-flow-like multivariate traffic with labelled
// anomalies, for demos, replay, integration tests and load benchmarks.
//
// Each stream is one monitored host; every step it emits one observation of
// TRAFFIC_FEATURES per-second flow aggregates (log10 bytes out/in, log10 packets,
// distinct destination ports and hosts, mean packet size, mean connection duration,
// failed-connection ratio). Normal traffic follows a per-host base level, a compressed
// daily cycle and correlated noise. Injected anomalies perturb named features:
//   port_scan     distinct ports jump to hundreds, failures rise, packets shrink
//   burst         inbound packets and bytes rise ~30x (a flood)
//   exfiltration  outbound bytes rise ~100x on long-lived connections
// so a detector's attribution can be checked against the perturbed features.
// An injected incident lasts `incident_rows` consecutive observations of its host (one
// by default), each perturbed the same way; the anomaly rate is the rate at which
// incidents start on a host that has none running.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/core/random.hpp"

namespace anomstream::tools {

inline constexpr std::size_t TRAFFIC_FEATURES = 8;

inline constexpr std::array<std::string_view, TRAFFIC_FEATURES> TRAFFIC_FEATURE_NAMES = {
    "log_bytes_out", "log_bytes_in", "log_packets", "dst_ports",
    "dst_hosts",     "mean_pkt_size", "duration_s", "fail_ratio"};

enum class AnomalyKind : std::uint8_t { none, port_scan, burst, exfiltration };

std::string_view to_string(AnomalyKind kind) noexcept;

struct TrafficConfig {
  std::uint64_t seed = 1;
  std::uint32_t tenants = 2;
  std::uint32_t streams_per_tenant = 2;
  double anomaly_rate = 0.004;      // probability that an observation is anomalous
  std::uint32_t warmup_steps = 600;  // steps per stream with no anomaly
  std::int64_t start_ns = 1'700'000'000'000'000'000;
  std::int64_t step_ns = 1'000'000'000;
  std::uint32_t incident_rows = 1;   // observations one injected incident lasts, at least 1
};

struct TrafficObservation {
  std::string tenant;
  std::string stream;
  std::int64_t timestamp_ns = 0;
  std::array<double, TRAFFIC_FEATURES> values{};
  AnomalyKind anomaly = AnomalyKind::none;
  std::uint64_t incident = 0;  // the injected incident this observation belongs to, from 1; 0: none
  std::uint64_t flow_key = 0;
  // The features the anomaly perturbs most (empty for normal traffic).
  [[nodiscard]] std::span<const std::size_t> perturbed() const noexcept;
};

class TrafficGenerator {
 public:
  explicit TrafficGenerator(const TrafficConfig& config);

  // The next observation, round-robin over every tenant's streams.
  TrafficObservation next();

  [[nodiscard]] std::uint64_t emitted() const noexcept { return emitted_; }
  [[nodiscard]] const TrafficConfig& config() const noexcept { return config_; }

 private:
  struct Host {
    std::string tenant;
    std::string stream;
    double base_out, base_in, base_ports, base_hosts, base_size, base_duration;
    double phase;
    std::uint64_t steps = 0;
    AnomalyKind running = AnomalyKind::none;  // the incident under way and its rows left
    std::uint32_t rows_left = 0;
    std::uint64_t incident = 0;
  };
  double normal();
  void perturb(AnomalyKind kind, std::array<double, TRAFFIC_FEATURES>& v, Xoshiro256& rng);

  TrafficConfig config_;
  Xoshiro256 rng_;
  Xoshiro256 incident_rng_;  // magnitudes of an incident's rows after its first
  std::vector<Host> hosts_;
  std::size_t next_host_ = 0;
  std::uint64_t emitted_ = 0;
  std::uint64_t incidents_ = 0;
};

}  // namespace anomstream::tools
