// anomstreamctl: the client tools a user runs beside anomstreamd.

#include <cstring>
#include <iostream>
#include <string_view>

#include "commands.hpp"
#include "version.hpp"

namespace {

constexpr std::string_view USAGE = R"(anomstreamctl - tools beside anomstreamd

Usage: anomstreamctl COMMAND [options]   (anomstreamctl COMMAND --help for its options)

Commands:
  replay         send a synthetic network-traffic stream (or a TSB-AD CSV) to the daemon
                 over gRPC or UDP at a given rate, with a progress bar
  watch          print alerts as JSON lines as the daemon emits them
  status         print the daemon's status
  feedback       send a verdict on an alert
  explain        SAGE feature importance of the model behind an alert's stream
  alerts         print the daemon's JSON-lines alerts, or with --clusters one line per
                 incident
  audit verify   verify an HMAC-chained audit log; reports the first broken or missing entry
  eval           stream TSB-AD CSV files through a detector and report VUS-PR and friends
  metrics        grade a precomputed score column against labels (VUS-PR, VUS-ROC, ...)
  state dump     print a tenant state file (state.dir/tenants/*.state) as JSON
  truth          grade the daemon's alerts against the synthetic stream's injected
                 anomalies: caught, missed and false alerts, incidents and
                 calibration per detector
  analyst        a simulated analyst: gives the synthetic stream's ground truth as
                 verdicts on the first alerts of each stream
  cluster status a scale-out group's partitions in NATS JetStream: owners, lease
                 revisions, backlog, redeliveries, hand-off snapshots, live members
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << USAGE;
    return argc < 2 ? anomstream::tools::EXIT_FAILURE_TO_RUN : 0;
  }
  const std::string_view command = argv[1];
  if (command == "--version") {
    std::cout << "anomstreamctl " << anomstream::VERSION << "\n";
    return 0;
  }
  if (command == "replay") return anomstream::tools::run_replay(argc - 1, argv + 1);
  if (command == "watch") return anomstream::tools::run_watch(argc - 1, argv + 1);
  if (command == "status") return anomstream::tools::run_status(argc - 1, argv + 1);
  if (command == "feedback") return anomstream::tools::run_feedback(argc - 1, argv + 1);
  if (command == "audit") return anomstream::tools::run_audit(argc - 1, argv + 1);
  if (command == "eval") return anomstream::tools::run_eval(argc - 1, argv + 1);
  if (command == "metrics") return anomstream::tools::run_metrics(argc - 1, argv + 1);
  if (command == "state") return anomstream::tools::run_state(argc - 1, argv + 1);
  if (command == "truth") return anomstream::tools::run_truth(argc - 1, argv + 1);
  if (command == "analyst") return anomstream::tools::run_analyst(argc - 1, argv + 1);
  if (command == "alerts") return anomstream::tools::run_alerts(argc - 1, argv + 1);
  if (command == "explain") return anomstream::tools::run_explain(argc - 1, argv + 1);
  if (command == "cluster") return anomstream::tools::run_cluster(argc - 1, argv + 1);
  std::cerr << "anomstreamctl: unknown command \"" << command << "\"\n\n" << USAGE;
  return anomstream::tools::EXIT_FAILURE_TO_RUN;
}
