#pragma once
// The command line of one anomstreamctl subcommand, parsed the same way by each.

#include <boost/program_options.hpp>

#include <string_view>

namespace anomstream::tools {

// Parses `argv` against `options` into `vm`. A usage error is printed to stderr with
// the command's name and its options, and gives false.
bool parse_options(int argc, char** argv, const boost::program_options::options_description& options,
                   boost::program_options::variables_map& vm, std::string_view command);

}  // namespace anomstream::tools
