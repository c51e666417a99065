// anomstreamctl audit verify FILE... (--key-file F [--key-file F2 ...] | --key-env VAR) [--partial]
//
// Verifies one audit log, or a log continued across files (rotation, logrotate) given
// oldest first. Exit 0: the chain is intact (a torn tail the daemon recovered, or one
// it has not yet recovered, is reported but is not a problem); 1: an entry was altered,
// removed, reordered or inserted (the file, line and problem are named); 2: it could not
// run (arguments, an unreadable file or key, a key file others may read).

#include <boost/program_options.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "anomstream/triage/audit_verifier.hpp"
#include "audit/audit_key.hpp"
#include "audit/audit_tail.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {
namespace {

constexpr std::string_view USAGE =
    "usage: anomstreamctl audit verify FILE... (--key-file F [--key-file F2 ...] | --key-env VAR) [--partial]\n"
    "  FILE...: the log's files oldest first, e.g. audit.log.[0-9]* audit.log\n";

std::expected<std::vector<daemon::AuditKey>, std::string> read_keys(const po::variables_map& vm) {
  std::vector<daemon::AuditKey> keys;
  if (vm.count("key-file")) {
    for (const auto& path : vm["key-file"].as<std::vector<std::string>>()) {
      auto key = daemon::read_audit_key_file(path, "--key-file");
      if (!key) return std::unexpected(key.error());
      keys.push_back(std::move(*key));
    }
  }
  if (vm.count("key-env")) {
    const std::string name = vm["key-env"].as<std::string>();
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::unexpected("--key-env: environment variable " + name + " is not set");
    const std::string_view text(value);
    const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
    keys.emplace_back(bytes, bytes + text.size());
  }
  if (keys.empty()) return std::unexpected("name a key with --key-file or --key-env");
  return keys;
}

struct FileOutcome {
  bool readable = true;
  std::string torn_note;  // a torn tail not yet recovered
};

// Feeds the file's lines up to its torn tail, if any, to the verifier.
FileOutcome verify_file(const std::string& path, triage::AuditVerifier& verifier) {
  FileOutcome outcome;
  auto tail = daemon::read_audit_tail(path);
  std::ifstream in(path, std::ios::binary);
  if (!tail || !in) {
    std::cerr << "anomstreamctl audit: " << (tail ? "cannot read \"" + path + "\"" : tail.error()) << "\n";
    outcome.readable = false;
    return outcome;
  }
  verifier.start_file();
  std::uint64_t consumed = 0;
  std::string line;
  while (consumed < tail->good_bytes && std::getline(in, line)) {
    consumed += line.size() + 1;
    if (!verifier.feed(line)) return outcome;
  }
  if (!tail->torn.empty()) {
    outcome.torn_note = path + ": torn last line: " + std::to_string(tail->torn.size()) + " bytes after sequence " +
                        std::to_string(verifier.last_sequence()) +
                        ", not yet recovered (a write in progress, or one cut short by a crash; anomstreamd "
                        "moves it aside when it next starts)";
  }
  return outcome;
}

}  // namespace

int run_audit(int argc, char** argv) {
  po::options_description options("anomstreamctl audit verify FILE... options");
  options.add_options()
      ("help,h", "print this help")
      ("key-file", po::value<std::vector<std::string>>()->composing(),
       "file holding an HMAC key (owner-readable only); repeat it for a log whose key was rotated")
      ("key-env", po::value<std::string>(), "environment variable holding the HMAC key")
      ("partial", "the first file continues a chain whose earlier files are not given (archived or deleted)")
      ("action", po::value<std::string>(), "verify")
      ("file", po::value<std::vector<std::string>>(), "the audit log's files, oldest first");
  po::positional_options_description positional;
  positional.add("action", 1).add("file", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl audit: " << e.what() << "\n" << USAGE << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << USAGE << options;
    return 0;
  }
  if (!vm.count("action") || vm["action"].as<std::string>() != "verify" || !vm.count("file")) {
    std::cerr << USAGE;
    return EXIT_FAILURE_TO_RUN;
  }
  auto keys = read_keys(vm);
  if (!keys) {
    std::cerr << "anomstreamctl audit: " << keys.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  auto verifier = triage::AuditVerifier::create(*keys);
  if (!verifier) {
    std::cerr << "anomstreamctl audit: " << verifier.error().message() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("partial")) verifier->allow_partial_start();
  const auto files = vm["file"].as<std::vector<std::string>>();
  std::vector<std::string> notes;
  for (const auto& path : files) {
    const FileOutcome outcome = verify_file(path, *verifier);
    if (!outcome.readable) return EXIT_FAILURE_TO_RUN;
    if (!verifier->ok()) {
      std::cout << path << ": BROKEN at line " << verifier->first_bad_line() << ": " << verifier->problem() << " ("
                << verifier->entries_verified() << " entries verified before it)\n";
      return EXIT_PROBLEM;
    }
    if (!outcome.torn_note.empty()) notes.push_back(outcome.torn_note);
  }
  const std::string name =
      files.size() == 1 ? files.front()
                        : files.front() + " .. " + files.back() + " (" + std::to_string(files.size()) + " files)";
  std::cout << name << ": ok, " << verifier->entries_verified() << " entries, last sequence "
            << verifier->last_sequence() << "\n";
  if (vm.count("partial") && verifier->first_sequence() > 1) {
    std::cout << "  partial: starts at sequence " << verifier->first_sequence()
              << "; the entries before it were not given\n";
  }
  for (const auto& recovery : verifier->recoveries()) {
    std::cout << "  recovered torn tail: " << recovery.torn_bytes << " bytes after sequence "
              << recovery.last_good_sequence << " (moved aside to " << recovery.side_file << ")\n";
  }
  for (const auto& rotation : verifier->key_rotations()) {
    std::cout << "  key rotated at sequence " << rotation.sequence << ": key id " << rotation.rotation.previous_key_id
              << " -> " << rotation.rotation.new_key_id << "\n";
  }
  for (const auto& note : notes) std::cout << "  " << note << "\n";
  return 0;
}

}  // namespace anomstream::tools
