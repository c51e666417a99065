#include "traffic_generator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace anomstream::tools {
namespace {

constexpr double DAY_STEPS = 600.0;  // one compressed "day" of traffic per 600 steps

constexpr std::size_t SCAN_FEATURES[] = {3, 7, 5};
constexpr std::size_t BURST_FEATURES[] = {2, 1};
constexpr std::size_t EXFIL_FEATURES[] = {0, 6};

}  // namespace

std::string_view to_string(AnomalyKind kind) noexcept {
  switch (kind) {
    case AnomalyKind::none: return "none";
    case AnomalyKind::port_scan: return "port_scan";
    case AnomalyKind::burst: return "burst";
    case AnomalyKind::exfiltration: return "exfiltration";
  }
  return "unknown";
}

std::span<const std::size_t> TrafficObservation::perturbed() const noexcept {
  switch (anomaly) {
    case AnomalyKind::port_scan: return SCAN_FEATURES;
    case AnomalyKind::burst: return BURST_FEATURES;
    case AnomalyKind::exfiltration: return EXFIL_FEATURES;
    case AnomalyKind::none: break;
  }
  return {};
}

TrafficGenerator::TrafficGenerator(const TrafficConfig& config)
    : config_(config), rng_(config.seed), incident_rng_(config.seed ^ 0x1c1de27e5eedULL) {
  for (std::uint32_t t = 0; t < config_.tenants; ++t) {
    for (std::uint32_t s = 0; s < config_.streams_per_tenant; ++s) {
      Host h;
      h.tenant = "tenant-" + std::to_string(t);
      h.stream = "host-" + std::to_string(s);
      h.base_out = 4.5 + rng_.uniform01();
      h.base_in = 5.0 + rng_.uniform01();
      h.base_ports = 2.0 + 4.0 * rng_.uniform01();
      h.base_hosts = 1.5 + 2.0 * rng_.uniform01();
      h.base_size = 500.0 + 300.0 * rng_.uniform01();
      h.base_duration = 1.0 + rng_.uniform01();
      h.phase = 2 * std::numbers::pi * rng_.uniform01();
      hosts_.push_back(std::move(h));
    }
  }
}

double TrafficGenerator::normal() {
  // Box-Muller without caching, so the stream depends only on the engine state.
  const double u1 = std::max(rng_.uniform01(), 1e-300);
  const double u2 = rng_.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

void TrafficGenerator::perturb(AnomalyKind kind, std::array<double, TRAFFIC_FEATURES>& v, Xoshiro256& rng) {
  switch (kind) {
    case AnomalyKind::port_scan:
      v[3] = 150.0 + 200.0 * rng.uniform01();
      v[7] = 0.5 + 0.3 * rng.uniform01();
      v[5] = 60.0 + 10.0 * rng.uniform01();
      break;
    case AnomalyKind::burst:
      v[2] += 1.5;
      v[1] += 1.5;
      break;
    case AnomalyKind::exfiltration:
      v[0] += 2.0;
      v[6] += 6.0;
      break;
    case AnomalyKind::none: break;
  }
}

TrafficObservation TrafficGenerator::next() {
  Host& h = hosts_[next_host_];
  const std::uint64_t step = h.steps++;
  TrafficObservation o;
  o.tenant = h.tenant;
  o.stream = h.stream;
  o.timestamp_ns = config_.start_ns + static_cast<std::int64_t>(step) * config_.step_ns;
  o.flow_key = (static_cast<std::uint64_t>(next_host_) << 32) ^ rng_();

  const double cycle = std::sin(2 * std::numbers::pi * static_cast<double>(step) / DAY_STEPS + h.phase);
  auto& v = o.values;
  v[0] = h.base_out + 0.4 * cycle + 0.08 * normal();
  v[1] = h.base_in + 0.4 * cycle + 0.08 * normal();
  v[2] = 0.5 * (v[0] + v[1]) - 2.7 + 0.04 * normal();
  v[3] = std::max(1.0, std::round(h.base_ports * (1.0 + 0.3 * cycle) + normal()));
  v[4] = std::max(1.0, std::round(h.base_hosts + 0.7 * normal()));
  v[5] = h.base_size + 60.0 * cycle + 25.0 * normal();
  v[6] = std::max(0.05, h.base_duration + 0.2 * normal());
  v[7] = std::clamp(0.02 + 0.01 * normal(), 0.0, 1.0);

  // The draws of rng_ do not depend on incident_rows: a start drawn while the host's
  // incident runs is dropped but still draws its magnitudes, and an incident's later
  // rows draw theirs from their own engine.
  const double draw = rng_.uniform01();
  AnomalyKind drawn = AnomalyKind::none;
  if (step >= config_.warmup_steps && draw < config_.anomaly_rate) {
    const double which = draw / config_.anomaly_rate;  // uniform in [0, 1)
    drawn = which < 1.0 / 3 ? AnomalyKind::port_scan : which < 2.0 / 3 ? AnomalyKind::burst : AnomalyKind::exfiltration;
  }
  if (h.rows_left > 0) {
    --h.rows_left;
    auto dropped = v;
    perturb(drawn, dropped, rng_);
    perturb(h.running, v, incident_rng_);
  } else if (drawn != AnomalyKind::none) {
    h.running = drawn;
    h.rows_left = std::max<std::uint32_t>(config_.incident_rows, 1) - 1;
    h.incident = ++incidents_;
    perturb(drawn, v, rng_);
  } else {
    h.running = AnomalyKind::none;
  }
  if (h.running != AnomalyKind::none) {
    o.anomaly = h.running;
    o.incident = h.incident;
  }
  next_host_ = (next_host_ + 1) % hosts_.size();
  ++emitted_;
  return o;
}

}  // namespace anomstream::tools
