// anomstreamctl cluster status: a scale-out group's partitions as NATS JetStream holds
// them (cluster_status.hpp): owners and lease revisions, each consumer's backlog,
// redeliveries and acknowledgement floor, the newest hand-off snapshot, the live members.
// Exit 0 with the report; 2 when the server cannot be reached or the stream or one of
// the group's buckets does not exist.
// Reading a consumer's info cuts short the pull requests waiting on it (nats-server
// 2.9), so polling this many times a second slows the group's scoring down.

#include <boost/program_options.hpp>
#include <nats/nats.h>

#include <iostream>
#include <string_view>

#include "cluster_status.hpp"
#include "command_line.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {
namespace {

int run_cluster_status(int argc, char** argv) {
  po::options_description options("anomstreamctl cluster status options");
  options.add_options()
      ("help,h", "print this help")
      ("servers", po::value<std::string>(), "NATS server URLs, comma-separated (ingest.jetstream.servers)")
      ("credentials", po::value<std::string>()->default_value(""), "NATS credentials file (JWT and NKey seed)")
      ("stream", po::value<std::string>()->default_value("ANOMSTREAM"), "the observation stream (ingest.jetstream.stream)")
      ("group", po::value<std::string>()->default_value("scorers"), "the scoring group (ingest.jetstream.group)")
      ("timeout-ms", po::value<int>()->default_value(2000), "longest wait for each JetStream request")
      ("json", "one JSON object instead of the table");
  po::variables_map vm;
  if (!parse_options(argc, argv, options, vm, "cluster status")) return EXIT_FAILURE_TO_RUN;
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (!vm.count("servers") || vm["servers"].as<std::string>().empty() || vm["timeout-ms"].as<int>() <= 0) {
    std::cerr << "anomstreamctl cluster status: --servers is required and --timeout-ms must be positive\n"
              << options;
    return EXIT_FAILURE_TO_RUN;
  }
  const ClusterQuery query{.servers = vm["servers"].as<std::string>(),
                           .credentials_file = vm["credentials"].as<std::string>(),
                           .stream = vm["stream"].as<std::string>(),
                           .group = vm["group"].as<std::string>(),
                           .timeout_ms = vm["timeout-ms"].as<int>()};
  const auto status = read_cluster_status(query);
  nats_CloseAndWait(1000);  // the client library's threads, before the process ends
  if (!status) {
    std::cerr << "anomstreamctl cluster status: " << status.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::cout << (vm.count("json") ? to_json(*status) + "\n" : to_text(*status));
  return 0;
}

}  // namespace

int run_cluster(int argc, char** argv) {
  constexpr std::string_view USAGE = "usage: anomstreamctl cluster status --servers URLS [options]\n";
  if (argc >= 2 && std::string_view(argv[1]) == "status") return run_cluster_status(argc - 1, argv + 1);
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::cout << USAGE;
    return 0;
  }
  std::cerr << USAGE;
  return EXIT_FAILURE_TO_RUN;
}

}  // namespace anomstream::tools
