// anomstream_load: sustained-load benchmark of a running anomstreamd on loopback.
//
//   anomstream_load --grpc 127.0.0.1:50051 --metrics 9464 --transport grpc --seconds 10
//
// Sends the synthetic traffic stream as fast as the transport takes it (several sender
// threads, batches of --batch observations), then waits for the workers to finish and
// reads the daemon's own counters from /metrics: observations received, scored,
// dropped (queue full) and rejected, and this run's part of the receipt-to-scored latency
// histogram (which includes alert emission), from which p50 and p99 are interpolated.


#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "client.hpp"
#include "prometheus_scrape.hpp"
#include "traffic_generator.hpp"

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

namespace {

using anomstream::tools::histogram_quantile;

std::map<std::string, double> scrape(std::uint16_t port) {
  return anomstream::tools::parse_metrics(anomstream::tools::http_get(port, "/metrics"));
}

double sum(const std::map<std::string, double>& m, const std::string& name) {
  return anomstream::tools::metric_sum(m, name);
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options("anomstream_load options");
  options.add_options()
      ("help,h", "print this help")
      ("grpc", po::value<std::string>()->default_value("127.0.0.1:50051"), "daemon gRPC address")
      ("udp", po::value<std::string>()->default_value("127.0.0.1:50052"), "daemon UDP address")
      ("metrics", po::value<std::uint16_t>()->default_value(9464), "daemon metrics port on 127.0.0.1")
      ("transport", po::value<std::string>()->default_value("grpc"), "grpc or udp")
      ("seconds", po::value<double>()->default_value(10), "how long to send")
      ("senders", po::value<int>()->default_value(2), "sending threads")
      ("batch", po::value<int>()->default_value(256), "observations per batch or datagram")
      ("tenants", po::value<std::uint32_t>()->default_value(16), "synthetic tenants")
      ("streams", po::value<std::uint32_t>()->default_value(4), "streams per tenant")
      ("rate", po::value<double>()->default_value(0), "observations/s offered in all (0 = as fast as possible)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, options), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  const bool udp = vm["transport"].as<std::string>() == "udp";
  const int senders = vm["senders"].as<int>();
  const int batch_size = vm["batch"].as<int>();
  const double seconds = vm["seconds"].as<double>();
  const auto metrics_port = vm["metrics"].as<std::uint16_t>();
  // Pacing: each sender sends one batch per `batch_interval` (zero = unpaced).
  const double rate = vm["rate"].as<double>();
  const auto batch_interval = rate > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                             static_cast<double>(batch_size) * senders / rate))
                                       : Clock::duration::zero();

  const auto before = scrape(metrics_port);
  const double received_before = sum(before, "anomstream_ingest_observations_received_total");
  std::atomic<std::uint64_t> sent{0};
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      anomstream::tools::TrafficGenerator generator(
          {.seed = 100 + static_cast<std::uint64_t>(s), .tenants = vm["tenants"].as<std::uint32_t>(),
           .streams_per_tenant = vm["streams"].as<std::uint32_t>()});
      // Pre-generate batches so the sender measures the daemon, not the generator.
      std::vector<std::string> datagrams;
      std::vector<anomstream::v1::ObservationBatch> batches(64);
      for (auto& b : batches) {
        for (int i = 0; i < batch_size; ++i) {
          auto o = generator.next();
          o.tenant += "-s" + std::to_string(s);
          anomstream::tools::to_wire(o, *b.add_observations());
        }
        datagrams.emplace_back();
        b.SerializeToString(&datagrams.back());
      }
      std::size_t next = 0;
      auto due = Clock::now();
      auto pace = [&] {
        if (batch_interval == Clock::duration::zero()) return;
        due += batch_interval;
        std::this_thread::sleep_until(due);
      };
      if (udp) {
        const std::string target = vm["udp"].as<std::string>();
        const auto colon = target.rfind(':');
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
        inet_pton(AF_INET, target.substr(0, colon).c_str(), &address.sin_addr);
        const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        while (Clock::now() < until) {
          pace();
          const auto& d = datagrams[next++ % datagrams.size()];
          if (::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&address), sizeof address) > 0) {
            sent += static_cast<std::uint64_t>(batch_size);
          }
        }
        ::close(fd);
      } else {
        auto stub = anomstream::tools::make_stub(vm["grpc"].as<std::string>());
        while (Clock::now() < until) {
          pace();
          grpc::ClientContext context;
          anomstream::v1::IngestSummary summary;
          if (stub->ObserveBatch(&context, batches[next++ % batches.size()], &summary).ok()) {
            sent += static_cast<std::uint64_t>(batch_size);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  // Let the workers finish what was queued, then read the daemon's accounting.
  std::map<std::string, double> after;
  double last_scored = -1;
  for (int i = 0; i < 600; ++i) {
    after = scrape(metrics_port);
    const double scored = sum(after, "anomstream_worker_observations_scored_total");
    if (scored == last_scored) break;
    last_scored = scored;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double drain_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto delta = [&](const std::string& name) { return sum(after, name) - sum(before, name); };
  const double received = sum(after, "anomstream_ingest_observations_received_total") - received_before;
  const double scored = delta("anomstream_worker_observations_scored_total");
  const double dropped = delta("anomstream_ingest_observations_dropped_total");
  const double rejected = delta("anomstream_ingest_observations_rejected_total");
  const double capped = delta("anomstream_ingest_observations_rate_capped_total");
  const double alerts = delta("anomstream_alerts_total");
  const double worker_cpu = delta("anomstream_worker_cpu_seconds_total");
  // The daemon's histogram counts since it started: take this run's part of it.
  std::map<std::string, double> this_run = after;
  for (auto& [key, value] : this_run) {
    if (const auto it = before.find(key); it != before.end()) value -= it->second;
  }
  const double p50 = histogram_quantile(this_run, "anomstream_worker_scoring_latency_seconds", 0.5);
  const double p99 = histogram_quantile(this_run, "anomstream_worker_scoring_latency_seconds", 0.99);

  std::printf("transport            %s\n", udp ? "udp" : "grpc");
  std::printf("sent                 %llu in %.2f s  (%.0f obs/s offered)\n", static_cast<unsigned long long>(sent.load()),
              send_seconds, static_cast<double>(sent.load()) / send_seconds);
  std::printf("received             %.0f  (%.0f obs/s ingested; %.2f%% lost before the daemon)\n", received,
              received / send_seconds,
              100.0 * (1.0 - received / std::max(1.0, static_cast<double>(sent.load()))));
  std::printf("scored               %.0f  (%.0f obs/s over %.2f s incl. drain)\n", scored, scored / drain_seconds,
              drain_seconds);
  std::printf("dropped (queue full) %.0f  (%.2f%% of received)\n", dropped, 100.0 * dropped / std::max(received, 1.0));
  std::printf("worker CPU           %.2f s  (%.0f obs/s scored per busy worker core)\n", worker_cpu,
              worker_cpu > 0 ? scored / worker_cpu : 0.0);
  std::printf("rejected, capped     %.0f, %.0f\n", rejected, capped);
  std::printf("alerts               %.0f\n", alerts);
  std::printf("accounting           received %s scored + dropped + rejected + capped\n",
              received == scored + dropped + rejected + capped ? "==" : "!=");
  std::printf("latency p50 / p99    %.3f ms / %.3f ms (receipt to scored and alert emitted)\n", p50 * 1e3, p99 * 1e3);
  return received == scored + dropped + rejected + capped ? 0 : 1;
}
