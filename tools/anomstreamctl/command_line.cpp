#include "command_line.hpp"

#include <iostream>

namespace anomstream::tools {

bool parse_options(int argc, char** argv, const boost::program_options::options_description& options,
                   boost::program_options::variables_map& vm, std::string_view command) {
  try {
    boost::program_options::store(boost::program_options::parse_command_line(argc, argv, options), vm);
    boost::program_options::notify(vm);
  } catch (const boost::program_options::error& e) {
    std::cerr << "anomstreamctl " << command << ": " << e.what() << "\n" << options;
    return false;
  }
  return true;
}

}  // namespace anomstream::tools
