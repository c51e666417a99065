#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace anomstream::test {
namespace {

void read_available(int fd, std::string& into, bool& open) {
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    into.append(buf, static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    open = false;
  }
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, const std::string& stdin_text) {
  int out_pipe[2], err_pipe[2], in_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0 || ::pipe(in_pipe) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
    posix_spawn_file_actions_addclose(&actions, fd);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  }
  if (!stdin_text.empty()) {
    [[maybe_unused]] auto written = ::write(in_pipe[1], stdin_text.data(), stdin_text.size());
  }
  ::close(in_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Process::send_signal(int signal) const {
  if (!reaped_) ::kill(pid_, signal);
}

void Process::pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  ::poll(fds, 2, timeout_ms);
  if (out_open_) read_available(out_fd_, out_, out_open_);
  if (err_open_) read_available(err_fd_, err_, err_open_);
}

bool Process::wait_for_output(const std::string& needle, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (out_.find(needle) != std::string::npos || err_.find(needle) != std::string::npos) {
      return true;
    }
    if (!out_open_ && !err_open_) {
      return false;
    }
    pump(20);
  }
  return false;
}

ProcessResult Process::wait(std::chrono::milliseconds deadline) {
  ProcessResult result;
  const auto until = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  while (!reaped_) {
    pump(20);
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() > until) {
      result.timed_out = true;
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      break;
    }
  }
  // Drain what is left in the pipes.
  for (int i = 0; i < 1000 && (out_open_ || err_open_); ++i) {
    pump(0);
  }
  if (WIFEXITED(status) && !result.timed_out) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  result.out = out_;
  result.err = err_;
  return result;
}

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds deadline,
                          const std::string& stdin_text) {
  Process p(argv, stdin_text);
  return p.wait(deadline);
}

std::string daemon_path() {
  const char* path = std::getenv("ANOMSTREAMD");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error("ANOMSTREAMD is not set; run the integration tests through ctest");
  }
  return path;
}

}  // namespace anomstream::test

namespace anomstream::test {

std::string ctl_path() {
  const char* path = std::getenv("ANOMSTREAMCTL");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error("ANOMSTREAMCTL is not set; run the integration tests through ctest");
  }
  return path;
}

}  // namespace anomstream::test
