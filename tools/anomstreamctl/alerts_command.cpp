// anomstreamctl alerts: the daemon's JSON-lines alerts, one line each, or with
// --clusters one line per incident (tenant and cluster id): how many alerts it holds,
// its stream, its first and last observation time, the highest severity and probability,
// and the feature its alerts blame first most often.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <map>
#include <vector>

#include "alert_truth.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {
namespace {

constexpr std::array<std::string_view, 5> SEVERITIES{"none", "low", "medium", "high", "critical"};

std::size_t severity_rank(const std::string& line) {
  for (std::size_t i = SEVERITIES.size(); i-- > 0;) {
    if (line.find("\"severity\":\"" + std::string(SEVERITIES[i]) + "\"") != std::string::npos) return i;
  }
  return 0;
}

// The index of the first attributed feature, -1 when none.
long first_feature(const std::string& line) {
  const std::string key = "\"top_features\":[{\"index\":";
  const auto at = line.find(key);
  return at == std::string::npos ? -1 : std::strtol(line.c_str() + at + key.size(), nullptr, 10);
}

struct Incident {
  std::string stream;
  std::uint64_t alerts = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  std::size_t severity = 0;
  double probability = -1;
  std::map<long, std::uint64_t> blamed;
  std::string first_id;
};

}  // namespace

int run_alerts(int argc, char** argv) {
  po::options_description options("anomstreamctl alerts options");
  options.add_options()
      ("help,h", "print this help")
      ("file", po::value<std::string>()->default_value("-"), "alerts as JSON lines (sinks.json_lines); - for stdin")
      ("clusters", "one line per incident (tenant and cluster id) instead of per alert");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl alerts: " << e.what() << "\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  const std::string path = vm["file"].as<std::string>();
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) {
      std::cerr << "anomstreamctl alerts: cannot read " << path << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
  }
  std::istream& in = path == "-" ? std::cin : file;
  const bool clusters = vm.count("clusters") > 0;
  std::map<std::pair<std::string, std::uint64_t>, Incident> incidents;
  std::vector<std::pair<std::string, std::uint64_t>> order;  // incidents by first alert
  std::uint64_t alerts = 0, skipped = 0;
  for (std::string line; std::getline(in, line);) {
    AlertSighting a;
    if (!parse_alert_line(line, a)) {
      skipped += line.empty() ? 0 : 1;
      continue;
    }
    ++alerts;
    if (!clusters) {
      std::cout << fmt::format("{} {:<12} {:<16} {:<9} {:<8} p={:<5} cluster={:<6} feature={}\n", a.timestamp_ns,
                               a.tenant, a.stream, a.detector, SEVERITIES[severity_rank(line)],
                               a.probability < 0 ? std::string("-") : fmt::format("{:.2f}", a.probability),
                               a.cluster_id, first_feature(line));
      continue;
    }
    // An alert without a cluster id is an incident of its own.
    const std::pair<std::string, std::uint64_t> key{a.tenant, a.cluster_id == 0 ? ~alerts : a.cluster_id};
    auto [it, added] = incidents.try_emplace(key);
    Incident& incident = it->second;
    if (added) {
      order.push_back(key);
      incident.stream = a.stream;
      incident.first_ns = a.timestamp_ns;
      incident.first_id = a.alert_id;
    }
    ++incident.alerts;
    incident.last_ns = std::max(incident.last_ns, a.timestamp_ns);
    incident.first_ns = std::min(incident.first_ns, a.timestamp_ns);
    incident.severity = std::max(incident.severity, severity_rank(line));
    incident.probability = std::max(incident.probability, a.probability);
    ++incident.blamed[first_feature(line)];
  }
  if (clusters) {
    std::cout << fmt::format("{:<12} {:>8} {:<16} {:>6} {:>20} {:>10} {:<8} {:>5} {:>7}  {}\n", "tenant", "incident",
                             "stream", "alerts", "first_ns", "span_s", "severity", "p", "feature", "first alert");
    for (const auto& key : order) {
      const Incident& i = incidents[key];
      const auto blamed = std::max_element(i.blamed.begin(), i.blamed.end(),
                                           [](const auto& x, const auto& y) { return x.second < y.second; });
      std::cout << fmt::format("{:<12} {:>8} {:<16} {:>6} {:>20} {:>10.0f} {:<8} {:>5} {:>7}  {}\n", key.first,
                               key.second > alerts ? std::string("-") : std::to_string(key.second), i.stream,
                               i.alerts, i.first_ns, static_cast<double>(i.last_ns - i.first_ns) * 1e-9,
                               SEVERITIES[i.severity],
                               i.probability < 0 ? std::string("-") : fmt::format("{:.2f}", i.probability),
                               blamed->first, i.first_id);
    }
    std::cout << fmt::format("{} alerts in {} incidents\n", alerts, incidents.size());
  }
  if (skipped > 0) std::cerr << "anomstreamctl alerts: " << skipped << " incomplete lines skipped\n";
  return 0;
}

}  // namespace anomstream::tools
