// anomstreamctl truth: the daemon's alerts (its JSON-lines sink) against what the
// synthetic stream injected, per detector: anomalies caught (on time, or within the
// echo window after) and alerts that were on an anomaly, its echo, or false.

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "alert_truth.hpp"
#include "commands.hpp"
#include "traffic_options.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {

int run_truth(int argc, char** argv) {
  po::options_description options("anomstreamctl truth options");
  options.add_options()
      ("help,h", "print this help")
      ("alerts", po::value<std::string>(), "the daemon's alerts as JSON lines (sinks.json_lines)")
      ("count", po::value<std::uint64_t>()->default_value(20000), "observations of the synthetic stream that were sent")
      ("echo", po::value<std::uint64_t>()->default_value(40),
       "observations after an injected anomaly whose alerts count as its echo, not as false")
      ("review", po::value<std::uint64_t>()->default_value(0),
       "alerts per stream an analyst reviewed: false alerts are also counted after them");
  add_traffic_options(options);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl truth: " << e.what() << "\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (!vm.count("alerts")) {
    std::cerr << "anomstreamctl truth: --alerts FILE is required\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  std::ifstream in(vm["alerts"].as<std::string>());
  if (!in) {
    std::cerr << "anomstreamctl truth: cannot read " << vm["alerts"].as<std::string>() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::vector<AlertSighting> alerts;
  std::uint64_t skipped = 0;
  for (std::string line; std::getline(in, line);) {
    AlertSighting a;
    if (parse_alert_line(line, a)) {
      alerts.push_back(std::move(a));
    } else if (!line.empty()) {
      ++skipped;
    }
  }
  TrafficConfig config = traffic_config_from(vm);
  const std::uint64_t echo = vm["echo"].as<std::uint64_t>();
  const std::uint64_t review = vm["review"].as<std::uint64_t>();
  const auto tallies = grade_alerts(config, vm["count"].as<std::uint64_t>(), alerts, echo, review);

  std::cout << fmt::format("{:<9} {:>8} {:>7} {:>8} {:>7} {:>8} {:>6} {:>6} {:>10} {:>8}  {}\n", "detector", "injected",
                           "caught", "on time", "alerts", "on anom.", "echo", "false", "precision", "recall",
                           "caught by kind (port_scan burst exfiltration)");
  for (const auto& [detector, t] : tallies) {
    std::cout << fmt::format("{:<9} {:>8} {:>7} {:>8} {:>7} {:>8} {:>6} {:>6} {:>10.3f} {:>8.3f}  {}/{} {}/{} {}/{}\n",
                             detector.empty() ? "-" : detector, t.injected, t.caught, t.caught_on_time, t.alerts,
                             t.on_time, t.echoes, t.false_alerts, t.incident_precision(), t.recall(),
                             t.caught_by_kind[1], t.injected_by_kind[1], t.caught_by_kind[2], t.injected_by_kind[2],
                             t.caught_by_kind[3], t.injected_by_kind[3]);
  }
  std::cout << fmt::format("(precision: alerts on an injected anomaly or within {} observations after it, over all "
                           "alerts; {} incomplete lines skipped)\n",
                           echo, skipped);
  std::cout << fmt::format("\n{:<9} {:>7} {:>10} {:>15} {:>17} {:>22} {:>14} {:>22} {:>14}\n", "detector", "alerts",
                           "incidents", "alerts/caught", "incidents/caught", "on its rows: al./inc.", "shared incid.",
                           fmt::format("false after first {}", review), "ECE (alerts)");
  for (const auto& [detector, t] : tallies) {
    const double caught = t.caught == 0 ? 1.0 : static_cast<double>(t.caught);
    const double on_time = t.caught_on_time == 0 ? 1.0 : static_cast<double>(t.caught_on_time);
    std::cout << fmt::format("{:<9} {:>7} {:>10} {:>15.2f} {:>17.2f} {:>22} {:>14} {:>22} {:>14}\n",
                             detector.empty() ? "-" : detector, t.alerts, t.clusters,
                             static_cast<double>(t.on_time + t.echoes) / caught,
                             static_cast<double>(t.clusters_on_anomalies) / caught,
                             fmt::format("{:.2f} / {:.2f}", static_cast<double>(t.on_time) / on_time,
                                         static_cast<double>(t.clusters_on_rows) / on_time),
                             t.shared_clusters,
                             fmt::format("{} of {}", t.later_false, t.later_alerts),
                             t.with_probability == 0 ? std::string("-")
                                                     : fmt::format("{:.3f} ({})", t.ece, t.with_probability));
  }
  std::cout << "(incidents: distinct cluster ids; per caught anomaly, its alerts and the incidents they fall in; on "
               "its rows: the same for the alerts on its own observations, echoes left out; "
               "shared: caught anomalies whose incident also holds another anomaly's alert; ECE: expected "
               "calibration error of the alerts' probability against being on an anomaly or its echo, 10 bins)\n";
  return 0;
}

}  // namespace anomstream::tools
