// anomstreamctl analyst: a simulated analyst for the synthetic stream. It watches the
// daemon's alerts, and reviews the first N alerts of each stream against what the
// generator injected: a verdict of true positive for an alert on an injected anomaly (or
// its echo), false positive otherwise, sent with SubmitFeedback as they arrive. What the
// daemon then does with later alerts shows what feedback is worth (see truth --review).

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <iostream>
#include <map>

#include "alert_truth.hpp"
#include "client.hpp"
#include "commands.hpp"
#include "traffic_options.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {

int run_analyst(int argc, char** argv) {
  po::options_description options("anomstreamctl analyst options");
  options.add_options()
      ("help,h", "print this help")
      ("review", po::value<std::uint64_t>()->default_value(5), "alerts per stream to give a verdict on")
      ("idle", po::value<double>()->default_value(3.0), "stop after this many seconds without an alert")
      ("count", po::value<std::uint64_t>()->default_value(20000), "synthetic: observations that will be sent")
      ("echo", po::value<std::uint64_t>()->default_value(40),
       "observations after an injected anomaly whose alerts count as its echo, not as false");
  add_traffic_options(options);
  add_connection_options(options);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl analyst: " << e.what() << "\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  const auto connection = connection_from(vm);
  if (!connection) {
    std::cerr << "anomstreamctl: " << connection.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  TrafficConfig config = traffic_config_from(vm);
  const InjectedTruth truth(config, vm["count"].as<std::uint64_t>(), vm["echo"].as<std::uint64_t>());
  const std::uint64_t review = vm["review"].as<std::uint64_t>();
  const auto idle = std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double>(vm["idle"].as<double>()));

  auto stub = make_stub(*connection);
  grpc::ClientContext watch;
  authorize(watch, *connection);
  auto reader = stub->WatchAlerts(&watch, v1::WatchAlertsRequest());
  // The watch ends once no alert came for `idle`: a deadline moved at every alert.
  std::atomic<std::int64_t> last_ns{std::chrono::system_clock::now().time_since_epoch().count()};
  std::atomic<bool> done{false};
  std::thread timer([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const auto last = std::chrono::system_clock::time_point(std::chrono::system_clock::duration(last_ns.load()));
      if (std::chrono::system_clock::now() - last > idle) {
        watch.TryCancel();
        return;
      }
    }
  });
  std::map<std::pair<std::string, std::string>, std::uint64_t> reviewed;
  std::uint64_t alerts = 0, true_marked = 0, false_marked = 0, refused = 0;
  v1::Alert alert;
  while (reader->Read(&alert)) {
    last_ns.store(std::chrono::system_clock::now().time_since_epoch().count());
    ++alerts;
    if (++reviewed[{alert.tenant(), alert.stream()}] > review) continue;
    const AlertSighting sighting{alert.detector(), alert.tenant(), alert.stream(), alert.timestamp_ns(),
                                 alert.alert_id(), alert.cluster_id(), alert.probability()};
    const bool real = truth.classify(sighting).kind != SightingKind::false_alert;
    v1::Feedback feedback;
    feedback.set_alert_id(alert.alert_id());
    feedback.set_verdict(real ? v1::VERDICT_TRUE_POSITIVE : v1::VERDICT_FALSE_POSITIVE);
    feedback.set_note("simulated analyst: the generator's ground truth");
    grpc::ClientContext context;
    authorize(context, *connection);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::FeedbackReply reply;
    if (stub->SubmitFeedback(&context, feedback, &reply).ok()) {
      (real ? true_marked : false_marked) += 1;
    } else {
      ++refused;
    }
  }
  done.store(true);
  timer.join();
  reader->Finish();
  std::cout << fmt::format("analyst: {} alerts seen; verdicts on the first {} of each of {} streams: {} true "
                           "positive, {} false positive, {} refused\n",
                           alerts, review, reviewed.size(), true_marked, false_marked, refused);
  return refused == 0 ? 0 : EXIT_PROBLEM;
}

}  // namespace anomstream::tools
