// anomstreamd: the streaming anomaly-detection daemon.

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "app/daemon.hpp"
#include "app/protobuf_log.hpp"
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

// SIGINT and SIGTERM stop the daemon, SIGHUP reloads it; main() blocks them before any
// thread starts, so only the main loop receives them.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// systemd's watchdog interval (WATCHDOG_USEC, for this process), or 0.
std::chrono::microseconds watchdog_interval() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (usec == nullptr) return std::chrono::microseconds(0);
  if (pid != nullptr && std::strtol(pid, nullptr, 10) != static_cast<long>(::getpid())) {
    return std::chrono::microseconds(0);
  }
  return std::chrono::microseconds(std::strtoll(usec, nullptr, 10));
}

// Waits for signals; between them, tells the watchdog the daemon is alive while every
// worker's loop keeps turning. Returns the signal that stops the daemon.
int serve(anomstream::daemon::Daemon& daemon) {
  using anomstream::daemon::systemd_notify;
  const sigset_t set = handled_signals();
  const auto watchdog = watchdog_interval();
  const auto tick = watchdog.count() > 0 ? watchdog / 2 : std::chrono::microseconds(1'000'000);
  while (true) {
    timespec timeout{static_cast<time_t>(tick.count() / 1'000'000), static_cast<long>(tick.count() % 1'000'000) * 1000};
    const int signal = sigtimedwait(&set, nullptr, &timeout);
    if (signal == SIGHUP) {
      systemd_notify("RELOADING=1");
      const auto result = daemon.reload();
      if (result.ok) {
        spdlog::info("event=config_reloaded result=ok detail=\"{}\" restart_required=\"{}\"", result.message,
                     fmt::join(result.restart_keys, ","));
      } else {
        spdlog::error("event=config_reloaded result=error detail=\"{}\" (the running configuration is kept)",
                      result.message);
      }
      systemd_notify("READY=1");
      continue;
    }
    if (signal == SIGINT || signal == SIGTERM) return signal;
    if (watchdog.count() > 0) {
      if (daemon.workers_alive(std::chrono::duration_cast<std::chrono::nanoseconds>(watchdog))) {
        systemd_notify("WATCHDOG=1");
      } else {
        spdlog::error("event=watchdog_withheld detail=\"a worker has not turned its loop within WatchdogSec\"");
      }
    }
  }
}

int run(anomstream::daemon::LoadedConfig loaded, const std::string& path) {
  const DaemonConfig config = loaded.config;
  const std::string source = path.empty() ? "<built-in default.yaml>" : path;
  spdlog::set_default_logger(spdlog::stderr_color_mt("anomstreamd"));
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  anomstream::daemon::route_protobuf_logs();
  spdlog::info("event=start version={} config=\"{}\" workers={}", anomstream::VERSION, source,
               config.worker_count);
  anomstream::daemon::Daemon daemon(std::move(loaded), path);
  auto ports = daemon.start();
  if (!ports) {
    spdlog::critical("event=start_failed error=\"{}\"", ports.error());
    return EXIT_START_FAILED;
  }
  spdlog::info("event=ready grpc={}:{} udp={}:{} metrics={}:{}", config.grpc.listen.host, ports->grpc,
               config.udp.listen.host, ports->udp, config.metrics_listen.host, ports->metrics);
  anomstream::daemon::systemd_notify("READY=1");
  const int signal = serve(daemon);
  spdlog::info("event=stopping signal={}", signal);
  anomstream::daemon::systemd_notify("STOPPING=1");
  const bool in_time = daemon.stop();
  if (!in_time) {
    spdlog::warn("event=stop_late detail=\"observations still queued at shutdown.deadline_ms were dropped "
                 "(reason shutdown)\"");
  }
  spdlog::info("event=stopped {}", daemon.accounting());
  spdlog::shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals first, so every thread inherits the mask and only
  // serve() receives them.
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  po::options_description options("anomstreamd options");
  options.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the version and exit")
      ("config,c", po::value<std::string>(), "YAML configuration file laid over the built-in defaults")
      ("check-config", po::value<std::string>(), "validate a YAML configuration file and exit (non-zero on error)")
      ("print-default-config", "print the built-in configuration (config/default.yaml) and exit")
      ("log-level", po::value<std::string>(), "override logging.level (trace, debug, info, warn, error, critical, off)")
      ("state-dir", po::value<std::string>(), "override state.dir (the systemd unit passes its StateDirectory)");

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

  const std::string path = vm.count("config") ? vm["config"].as<std::string>() : "";
  auto config = path.empty() ? anomstream::daemon::load_config_document("", "<built-in default.yaml>")
                             : anomstream::daemon::load_config_document_file(path);
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
    config->config.log_level = level;
  }
  if (vm.count("state-dir")) {
    // Kept in the document too, so a reload does not report it as changed.
    config->config.state.dir = vm["state-dir"].as<std::string>();
    config->document["state"]["dir"] = config->config.state.dir;
  }
  return run(std::move(*config), path);
}
