// anomstreamctl audit verify FILE (--key-file F | --key-env VAR)

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>

#include "anomstream/triage/audit_verifier.hpp"
#include "audit/audit_log.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {

int run_audit(int argc, char** argv) {
  po::options_description options("anomstreamctl audit verify FILE options");
  options.add_options()
      ("help,h", "print this help")
      ("key-file", po::value<std::string>()->default_value(""), "file holding the HMAC key")
      ("key-env", po::value<std::string>()->default_value(""), "environment variable holding the HMAC key")
      ("action", po::value<std::string>(), "verify")
      ("file", po::value<std::string>(), "the audit log");
  po::positional_options_description positional;
  positional.add("action", 1).add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl audit: " << e.what() << "\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (!vm.count("action") || vm["action"].as<std::string>() != "verify" || !vm.count("file")) {
    std::cerr << "usage: anomstreamctl audit verify FILE (--key-file F | --key-env VAR)\n";
    return EXIT_FAILURE_TO_RUN;
  }
  auto key = daemon::load_audit_key(vm["key-file"].as<std::string>(), vm["key-env"].as<std::string>());
  if (!key) {
    std::cerr << "anomstreamctl audit: " << key.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  auto verifier = triage::AuditVerifier::create(*key);
  if (!verifier) {
    std::cerr << "anomstreamctl audit: " << verifier.error().message() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  const std::string path = vm["file"].as<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "anomstreamctl audit: cannot read \"" << path << "\"\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::string line;
  while (std::getline(in, line) && verifier->feed(line)) {
  }
  if (!verifier->ok()) {
    std::cout << path << ": BROKEN at line " << verifier->first_bad_line() << ": " << verifier->problem()
              << " (" << verifier->entries_verified() << " entries verified before it)\n";
    return EXIT_PROBLEM;
  }
  std::cout << path << ": ok, " << verifier->entries_verified() << " entries, last sequence "
            << verifier->last_sequence() << "\n";
  return 0;
}

}  // namespace anomstream::tools
