// anomstreamctl state dump FILE: a tenant state file as JSON (header and body), after
// the same checks the daemon makes before restoring it (magic, header, format version,
// body length and SHA-256). Exit 0 and the JSON, or 1 and why the daemon would
// quarantine the file.

#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

#include "commands.hpp"
#include "persist/state_file.hpp"

namespace anomstream::tools {

int run_state(int argc, char** argv) {
  constexpr std::string_view USAGE = "usage: anomstreamctl state dump FILE\n";
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::cout << USAGE;
    return 0;
  }
  if (argc != 3 || std::string_view(argv[1]) != "dump") {
    std::cerr << USAGE;
    return EXIT_FAILURE_TO_RUN;
  }
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::cerr << "anomstreamctl state: cannot read \"" << argv[2] << "\"\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto json = daemon::state_file_to_json(bytes.str());
  if (!json) {
    std::cerr << argv[2] << ": " << daemon::to_string(json.error().problem) << ": " << json.error().detail << "\n";
    return EXIT_PROBLEM;
  }
  std::cout << *json;
  return 0;
}

}  // namespace anomstream::tools
