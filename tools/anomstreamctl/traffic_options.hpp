#pragma once
// The synthetic stream's command-line options, shared by the commands that must agree on
// it (replay sends it; truth and analyst grade against it).

#include <boost/program_options.hpp>

#include "traffic_generator.hpp"

namespace anomstream::tools {

// --tenants, --streams, --anomaly-rate, --seed.
void add_traffic_options(boost::program_options::options_description& options);
// The generator those options describe (the other fields at their defaults).
TrafficConfig traffic_config_from(const boost::program_options::variables_map& vm);

}  // namespace anomstream::tools
