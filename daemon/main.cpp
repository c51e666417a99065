// anomstreamd: the streaming anomaly-detection daemon.

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <pthread.h>

#include "app/daemon.hpp"
#include "app/systemd_notify.hpp"
#include "config/config.hpp"
#include "version.hpp"

namespace po = boost::program_options;
using anomstream::daemon::DaemonConfig;

namespace {

constexpr int EXIT_CONFIG_ERROR = 2;
constexpr int EXIT_USAGE = 64;
constexpr int EXIT_START_FAILED = 1;

int check_config(const std::string& path) {
  auto config = anomstream::daemon::load_config_file(path);
  if (!config) {
    std::cerr << config.error().message();
    return EXIT_CONFIG_ERROR;
  }
  std::cout << path << ": ok\n";
  return 0;
}

// SIGINT and SIGTERM stop the daemon; SIGHUP reopens the audit log (logrotate).
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// Waits for a handled signal, which main() blocked before any thread started.
int wait_for_signal() {
  sigset_t set = handled_signals();
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

int run(const DaemonConfig& config, const std::string& source) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("anomstreamd"));
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::info("event=start version={} config=\"{}\" workers={}", anomstream::VERSION, source,
               config.worker_count);
  anomstream::daemon::Daemon daemon(config, source);
  auto ports = daemon.start();
  if (!ports) {
    spdlog::critical("event=start_failed error=\"{}\"", ports.error());
    return EXIT_START_FAILED;
  }
  spdlog::info("event=ready grpc={}:{} udp={}:{} metrics={}:{}", config.grpc.listen.host, ports->grpc,
               config.udp.listen.host, ports->udp, config.metrics_listen.host, ports->metrics);
  anomstream::daemon::systemd_notify("READY=1");
  int signal = wait_for_signal();
  for (; signal == SIGHUP; signal = wait_for_signal()) {
    spdlog::info("event=reopen signal={}", signal);
    daemon.reopen_logs();
  }
  spdlog::info("event=stopping signal={} deadline_ms={}", signal, config.shutdown_deadline_ms);
  anomstream::daemon::systemd_notify("STOPPING=1");
  const bool in_time = daemon.stop(std::chrono::milliseconds(config.shutdown_deadline_ms));
  if (!in_time) {
    spdlog::warn("event=stop_late detail=\"draining took longer than shutdown.deadline_ms\"");
  }
  spdlog::info("event=stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the handled signals first, so every thread inherits the mask and only
  // wait_for_signal() receives them.
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  po::options_description options("anomstreamd options");
  options.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("config,c", po::value<std::string>(), "YAML configuration file laid over the built-in defaults")
      ("check-config", po::value<std::string>(), "validate a YAML configuration file and exit (non-zero on error)")
      ("print-default-config", "print the built-in configuration (config/default.yaml) and exit")
      ("log-level", po::value<std::string>(), "override logging.level (trace, debug, info, warn, error, critical, off)");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamd: " << e.what() << "\n" << options;
    return EXIT_USAGE;
  }

  if (vm.count("help")) {
    std::cout << "anomstreamd " << anomstream::VERSION
              << " - streaming anomaly detection daemon\n\n"
              << "Usage: anomstreamd [--config FILE] [--log-level LEVEL]\n\n"
              << options;
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "anomstreamd " << anomstream::VERSION << "\n";
    return 0;
  }
  if (vm.count("print-default-config")) {
    std::cout << anomstream::daemon::DEFAULT_CONFIG_YAML;
    return 0;
  }
  if (vm.count("check-config")) {
    return check_config(vm["check-config"].as<std::string>());
  }

  const std::string source = vm.count("config") ? vm["config"].as<std::string>() : "<built-in default.yaml>";
  auto config = vm.count("config")
                    ? anomstream::daemon::load_config_file(vm["config"].as<std::string>())
                    : anomstream::daemon::load_config("", "<built-in default.yaml>");
  if (!config) {
    std::cerr << config.error().message();
    return EXIT_CONFIG_ERROR;
  }
  if (vm.count("log-level")) {
    const auto level = vm["log-level"].as<std::string>();
    if (spdlog::level::from_str(level) == spdlog::level::off && level != "off") {
      std::cerr << "anomstreamd: --log-level: expected one of trace, debug, info, warn, error, "
                   "critical, off, found \"" << level << "\"\n";
      return EXIT_USAGE;
    }
    config->log_level = level;
  }
  return run(*config, source);
}
