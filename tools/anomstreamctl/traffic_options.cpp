#include "traffic_options.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {

void add_traffic_options(po::options_description& options) {
  options.add_options()
      ("tenants", po::value<std::uint32_t>()->default_value(2), "synthetic: tenants")
      ("streams", po::value<std::uint32_t>()->default_value(2), "synthetic: streams (hosts) per tenant")
      ("anomaly-rate", po::value<double>()->default_value(0.004), "synthetic: fraction of anomalous observations")
      ("seed", po::value<std::uint64_t>()->default_value(1), "synthetic: random seed")
      ("incident-rows",
       po::value<std::uint32_t>()->default_value(1)->notifier([](std::uint32_t rows) {
         if (rows < 1 || rows > 1000) {
           throw po::error("--incident-rows must be 1 to 1000, got " + std::to_string(rows));
         }
       }),
       "synthetic: consecutive observations of its host one injected incident lasts (1 to 1000)");
}

TrafficConfig traffic_config_from(const po::variables_map& vm) {
  TrafficConfig config;
  config.seed = vm["seed"].as<std::uint64_t>();
  config.tenants = vm["tenants"].as<std::uint32_t>();
  config.streams_per_tenant = vm["streams"].as<std::uint32_t>();
  config.anomaly_rate = vm["anomaly-rate"].as<double>();
  config.incident_rows = vm["incident-rows"].as<std::uint32_t>();
  return config;
}

}  // namespace anomstream::tools
