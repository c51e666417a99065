#pragma once
// Starts a real binary for integration tests: arguments, captured stdout/stderr,
// a deadline on every wait, and a kill on destruction so no test leaves a process behind.

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace anomstream::test {

struct ProcessResult {
  int exit_code = -1;    // exit status, or -1 if killed by a signal / timed out
  int signal = 0;        // the terminating signal, if any
  bool timed_out = false;
  std::string out;
  std::string err;
};

class Process {
 public:
  // Starts `argv[0]` with `argv` and optional text on stdin (then closed).
  explicit Process(const std::vector<std::string>& argv, const std::string& stdin_text = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  void send_signal(int signal) const;
  // Polls the output until `needle` appears in stdout or stderr; false at the deadline
  // or if the process exits first.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds deadline);
  // Everything read from stdout and stderr so far (stderr after stdout).
  [[nodiscard]] std::string output_so_far() const { return out_ + err_; }
  // Waits for exit up to `deadline`, collecting output; kills the process on timeout.
  ProcessResult wait(std::chrono::milliseconds deadline);

 private:
  void pump(int timeout_ms);
  std::string out_;
  std::string err_;
  bool out_open_ = true;
  bool err_open_ = true;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
};

// Runs to completion (or the deadline) and returns what it printed.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds deadline = std::chrono::seconds(30),
                          const std::string& stdin_text = "");

// Path of the daemon under test (ANOMSTREAMD in the environment).
std::string daemon_path();
// Path of anomstreamctl under test (ANOMSTREAMCTL in the environment).
std::string ctl_path();

}  // namespace anomstream::test
