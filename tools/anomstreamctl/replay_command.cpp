// anomstreamctl replay: sends a synthetic stream (or a TSB-AD CSV) to anomstreamd.

#include <utility>  // before Boost.Asio 1.74, whose awaitable.hpp uses std::exchange unincluded
#include <boost/asio.hpp>
#include <boost/program_options.hpp>

#include <array>
#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include "client.hpp"
#include "config/secret_file.hpp"
#include "ingest/udp_auth.hpp"
#include "commands.hpp"
#include "traffic_options.hpp"
#include "progress_bar.hpp"
#include "replay_source.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {
namespace {

struct Totals {
  std::uint64_t sent = 0;
  std::uint64_t received = 0, accepted = 0, rate_capped = 0, dropped = 0, rejected = 0;
  std::array<std::uint64_t, 4> anomalies{};
  void add(const v1::IngestSummary& s) {
    received += s.received();
    accepted += s.accepted();
    rate_capped += s.rate_capped();
    dropped += s.dropped();
    for (const auto& [reason, n] : s.rejected()) rejected += n;
  }
};

// Sleeps until `sent` observations are due at `rate` per second (0: no pacing).
void pace(std::chrono::steady_clock::time_point start, std::uint64_t sent, double rate) {
  if (rate <= 0) return;
  const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(static_cast<double>(sent) / rate));
  std::this_thread::sleep_until(due);
}

}  // namespace

int run_replay(int argc, char** argv) {
  po::options_description options("anomstreamctl replay options");
  options.add_options()
      ("help,h", "print this help")
      ("udp", po::value<std::string>(), "send over UDP to host:port instead of gRPC")
      ("udp-key-id", po::value<std::string>(), "sign datagrams with this key id (server.udp.auth.keys_file)")
      ("udp-key-file", po::value<std::string>(), "file (mode 0600) holding that key's secret in hex")
      ("csv", po::value<std::string>(), "replay a TSB-AD CSV (feature columns, then Label) instead of the synthetic stream")
      ("tenant", po::value<std::string>()->default_value("csv"), "tenant for --csv")
      ("stream", po::value<std::string>()->default_value("series"), "stream for --csv")
      ("count", po::value<std::uint64_t>()->default_value(20000), "observations to send (synthetic)")
      ("rate", po::value<double>()->default_value(0), "observations per second; 0 sends as fast as possible")
      ("batch", po::value<std::size_t>()->default_value(64), "observations per gRPC batch or UDP datagram")
      ("skip", po::value<std::uint64_t>()->default_value(0),
       "synthetic: start after this many observations, continuing an earlier replay of the same seed")
      ("progress", "draw the progress bar even when stderr is not a terminal");
  add_traffic_options(options);
  add_connection_options(options);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl replay: " << e.what() << "\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  const std::size_t batch_size = std::max<std::size_t>(1, vm["batch"].as<std::size_t>());
  const double rate = vm["rate"].as<double>();

  std::unique_ptr<ReplaySource> source;
  if (vm.count("csv")) {
    auto csv = ReplaySource::from_csv(vm["csv"].as<std::string>(), vm["tenant"].as<std::string>(),
                                      vm["stream"].as<std::string>());
    if (!csv) {
      std::cerr << "anomstreamctl replay: " << csv.error() << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    source = std::move(*csv);
  } else {
    TrafficConfig config = traffic_config_from(vm);
    source = ReplaySource::synthetic(config, vm["count"].as<std::uint64_t>(), vm["skip"].as<std::uint64_t>());
  }

  const auto connection = connection_from(vm);
  if (!connection) {
    std::cerr << "anomstreamctl replay: " << connection.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::optional<daemon::UdpKey> udp_key;
  if (vm.count("udp-key-id") != vm.count("udp-key-file")) {
    std::cerr << "anomstreamctl replay: --udp-key-id and --udp-key-file go together\n";
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("udp-key-file")) {
    auto hex = daemon::read_secret_file(vm["udp-key-file"].as<std::string>(), "--udp-key-file");
    if (!hex) {
      std::cerr << "anomstreamctl replay: " << hex.error() << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    while (!hex->empty() && (hex->back() == '\n' || hex->back() == '\r')) hex->pop_back();
    auto secret = daemon::decode_hex(*hex);
    if (!secret) {
      std::cerr << "anomstreamctl replay: --udp-key-file: " << secret.error() << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    udp_key = daemon::UdpKey{.id = vm["udp-key-id"].as<std::string>(), .secret = std::move(*secret), .tenants = {}};
  }
  Totals totals;
  const bool udp = vm.count("udp") > 0;
  ProgressBar progress(source->size(), udp ? "replay udp " : "replay grpc", vm.count("progress") > 0);
  const auto start = std::chrono::steady_clock::now();

  std::unique_ptr<v1::IngestService::Stub> stub;
  boost::asio::io_context io;
  boost::asio::ip::udp::socket socket(io);
  boost::asio::ip::udp::endpoint endpoint;
  if (udp) {
    const std::string target = vm["udp"].as<std::string>();
    const auto colon = target.rfind(':');
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(target.substr(0, colon), ec);
    if (ec || colon == std::string::npos) {
      std::cerr << "anomstreamctl replay: --udp: expected host:port, found \"" << target << "\"\n";
      return EXIT_FAILURE_TO_RUN;
    }
    endpoint = {address, static_cast<unsigned short>(std::stoi(target.substr(colon + 1)))};
    socket.open(endpoint.protocol());
  } else {
    if (!wait_connected(*connection, 5.0)) {
      std::cerr << "anomstreamctl replay: cannot connect to " << connection->target << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    stub = make_stub(*connection);
  }

  v1::ObservationBatch batch;
  std::string datagram;
  auto send_batch = [&]() -> bool {
    if (batch.observations_size() == 0) return true;
    if (udp) {
      batch.SerializeToString(&datagram);
      if (udp_key) {
        // The sequence is this host's clock, strictly increasing per datagram.
        static std::uint64_t last = 0;
        auto now = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count());
        last = std::max(last + 1, now);
        datagram = daemon::seal_datagram(*udp_key, last, datagram);
      }
      boost::system::error_code ec;
      socket.send_to(boost::asio::buffer(datagram), endpoint, 0, ec);
      if (ec) {
        std::cerr << "\nanomstreamctl replay: udp send: " << ec.message() << "\n";
        return false;
      }
    } else {
      grpc::ClientContext context;
      authorize(context, *connection);
      v1::IngestSummary summary;
      const auto status = stub->ObserveBatch(&context, batch, &summary);
      if (!status.ok()) {
        std::cerr << "\nanomstreamctl replay: ObserveBatch: " << status.error_message() << "\n";
        return false;
      }
      totals.add(summary);
    }
    totals.sent += static_cast<std::uint64_t>(batch.observations_size());
    batch.clear_observations();
    return true;
  };

  ReplayItem item;
  while (source->next(item)) {
    *batch.add_observations() = item.observation;
    ++totals.anomalies[static_cast<std::size_t>(item.anomaly)];
    if (static_cast<std::size_t>(batch.observations_size()) >= batch_size) {
      pace(start, totals.sent + batch_size, rate);
      if (!send_batch()) return EXIT_FAILURE_TO_RUN;
      progress.update(totals.sent);
    }
  }
  if (!send_batch()) return EXIT_FAILURE_TO_RUN;
  progress.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << "sent " << totals.sent << " observations in " << seconds << " s ("
            << static_cast<std::uint64_t>(static_cast<double>(totals.sent) / std::max(seconds, 1e-9))
            << "/s) over " << (udp ? "udp" : "grpc") << "\n";
  if (!udp) {
    std::cout << "daemon accounted: received " << totals.received << ", accepted " << totals.accepted
              << ", rate-capped " << totals.rate_capped << ", dropped " << totals.dropped << ", rejected "
              << totals.rejected << "\n";
  }
  if (!vm.count("csv")) {
    std::cout << "injected anomalies: port_scan " << totals.anomalies[1] << ", burst " << totals.anomalies[2]
              << ", exfiltration " << totals.anomalies[3] << "\n";
  } else {
    std::cout << "labelled anomalous points: " << source->labelled() << "\n";
  }
  return 0;
}

}  // namespace anomstream::tools
