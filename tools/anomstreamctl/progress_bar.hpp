#pragma once
// A one-line progress bar on stderr ("\r[#####.....]  45%  45000/100000  12.3k/s"),
// redrawn at most ten times a second; silent when stderr is not a terminal unless forced.

#include <chrono>
#include <cstdint>
#include <string>

namespace anomstream::tools {

class ProgressBar {
 public:
  ProgressBar(std::uint64_t total, std::string label, bool force = false);
  void update(std::uint64_t done);
  void finish();

 private:
  void draw(std::uint64_t done);
  std::uint64_t total_;
  std::string label_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace anomstream::tools
