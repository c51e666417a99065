// The alert hub: workers only queue; one sink thread writes. A stalled sink or a
// subscriber that never reads loses alerts (counted, visible) and never blocks publish.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sink/alert_hub.hpp"
#include "temp_dir.hpp"

namespace anomstream::daemon {
namespace {

using namespace std::chrono_literals;

v1::Alert make_alert(const std::string& tenant, v1::Severity severity = v1::SEVERITY_HIGH) {
  v1::Alert alert;
  alert.set_tenant(tenant);
  alert.set_stream("s");
  alert.set_severity(severity);
  alert.set_score(2.5);
  return alert;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The "sequence" field of each JSON line, in file order.
std::vector<std::uint64_t> sequences_of(const std::vector<std::string>& lines) {
  std::vector<std::uint64_t> out;
  for (const auto& line : lines) {
    const auto at = line.find("\"sequence\":");
    REQUIRE(at != std::string::npos);
    out.push_back(std::stoull(line.substr(at + 11)));
  }
  return out;
}

// A pipe whose buffer is full, so the first write into it blocks until `unblock`.
struct StalledPipe {
  int read_fd = -1;
  int write_fd = -1;
  std::size_t filled = 0;
  StalledPipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_fd = fds[0];
    write_fd = fds[1];
    ::fcntl(write_fd, F_SETPIPE_SZ, 4096);
    const int flags = ::fcntl(write_fd, F_GETFL);
    ::fcntl(write_fd, F_SETFL, flags | O_NONBLOCK);
    const std::string block(4096, 'x');
    for (;;) {
      const auto n = ::write(write_fd, block.data(), block.size());
      if (n <= 0) break;
      filled += static_cast<std::size_t>(n);
    }
    ::fcntl(write_fd, F_SETFL, flags);
  }
  [[nodiscard]] std::string path() const { return "/proc/self/fd/" + std::to_string(write_fd); }
  // Reads everything written so far and after, until the writer side closes.
  std::string drain_all() const {
    std::string out;
    char buffer[4096];
    for (;;) {
      const auto n = ::read(read_fd, buffer, sizeof buffer);
      if (n <= 0) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
  ~StalledPipe() {
    if (read_fd >= 0) ::close(read_fd);
    if (write_fd >= 0) ::close(write_fd);
  }
};

}  // namespace

TEST_CASE("alerts are written in sequence order, each once, with its id") {
  anomstream::test::TempDir dir;
  const auto path = (dir.path() / "alerts.jsonl").string();
  DaemonMetrics metrics(1);
  AlertHub hub(metrics, nullptr, path, AlertSinkLimits{});
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < 250; ++i) CHECK(hub.publish(make_alert("t" + std::to_string(w))));
    });
  }
  for (auto& worker : workers) worker.join();
  REQUIRE(hub.drain(10s));
  const auto lines = lines_of(path);
  REQUIRE(lines.size() == 1000);
  const auto sequences = sequences_of(lines);
  for (std::size_t i = 0; i < sequences.size(); ++i) CHECK(sequences[i] == i + 1);
  CHECK(lines.front().find("\"alert_id\":\"t") != std::string::npos);
  CHECK(hub.published() == 1000);
  CHECK(metrics.sink_alerts_dropped().Value() == 0);
}

TEST_CASE("a stalled sink never blocks publish: beyond the queue alerts are lost, counted, and leave gaps") {
  StalledPipe pipe;
  DaemonMetrics metrics(1);
  AlertSinkLimits limits;
  limits.queue_capacity = 8;
  AlertHub hub(metrics, nullptr, pipe.path(), limits);
  // The first alert takes the sink thread into a write that cannot finish.
  REQUIRE(hub.publish(make_alert("a")));
  const auto started = std::chrono::steady_clock::now();
  while (metrics.sink_queue_depth().Value() != 0 && std::chrono::steady_clock::now() - started < 5s) {
    std::this_thread::sleep_for(1ms);
  }
  std::this_thread::sleep_for(50ms);  // let the sink thread reach the blocked write
  std::size_t queued = 0;
  std::size_t lost = 0;
  for (int i = 0; i < 100; ++i) (hub.publish(make_alert("a")) ? queued : lost) += 1;
  CHECK(queued == limits.queue_capacity);
  CHECK(lost == 100 - limits.queue_capacity);
  CHECK(metrics.sink_alerts_dropped().Value() == static_cast<double>(lost));
  CHECK(hub.published() == 101);
  // Unblock: the reader takes everything; the queued alerts follow, the lost ones are gaps.
  std::string text;
  std::thread reader([&] { text = pipe.drain_all(); });
  REQUIRE(hub.drain(10s));
  hub.close(1s);
  ::close(pipe.write_fd);
  pipe.write_fd = -1;
  // The hub's own descriptor, opened through /proc, keeps the pipe open until the hub goes.
  hub.reopen("");
  reader.join();
  std::istringstream in(text.substr(pipe.filled));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const auto sequences = sequences_of(lines);
  REQUIRE(sequences.size() == 1 + queued);
  CHECK(sequences.front() == 1);
  for (std::size_t i = 1; i < sequences.size(); ++i) CHECK(sequences[i] == i + 1);
}

TEST_CASE("a subscriber that never reads loses alerts alone, counted for it and told on its next alert") {
  DaemonMetrics metrics(1);
  AlertSinkLimits limits;
  limits.subscriber_capacity = 2;
  AlertHub hub(metrics, nullptr, "", limits);
  auto slow = hub.subscribe("a", v1::SEVERITY_UNSPECIFIED, "slow");
  auto other = hub.subscribe("b", v1::SEVERITY_UNSPECIFIED, "other");
  REQUIRE(slow);
  REQUIRE(other);
  for (int i = 0; i < 5; ++i) REQUIRE(hub.publish(make_alert("a")));
  REQUIRE(hub.publish(make_alert("b")));
  REQUIRE(hub.drain(10s));
  auto status = (*slow)->status();
  CHECK(status.queued == 2);
  CHECK(status.dropped == 3);
  CHECK((*other)->status().dropped == 0);
  CHECK(metrics.watch_dropped().Value() == 3);
  // It reads its two, then the next alert says how many were lost before it.
  v1::Alert alert;
  REQUIRE((*slow)->pop(alert, 1s));
  CHECK(alert.sequence() == 1);
  CHECK(alert.watch_dropped_before() == 0);
  REQUIRE((*slow)->pop(alert, 1s));
  CHECK(alert.sequence() == 2);
  REQUIRE(hub.publish(make_alert("a")));
  REQUIRE(hub.drain(10s));
  REQUIRE((*slow)->pop(alert, 1s));
  CHECK(alert.sequence() == 7);
  CHECK(alert.watch_dropped_before() == 3);
  REQUIRE((*other)->pop(alert, 1s));
  CHECK(alert.tenant() == "b");
  CHECK(alert.watch_dropped_before() == 0);
}

TEST_CASE("subscribers beyond sinks.watch.max_subscribers are refused and counted") {
  DaemonMetrics metrics(1);
  AlertSinkLimits limits;
  limits.max_subscribers = 2;
  AlertHub hub(metrics, nullptr, "", limits);
  auto first = hub.subscribe("", v1::SEVERITY_UNSPECIFIED, "1");
  auto second = hub.subscribe("", v1::SEVERITY_UNSPECIFIED, "2");
  auto third = hub.subscribe("", v1::SEVERITY_UNSPECIFIED, "3");
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE_FALSE(third);
  CHECK(third.error().find("sinks.watch.max_subscribers (2)") != std::string::npos);
  CHECK(metrics.watch_refused().Value() == 1);
  CHECK(metrics.watch_subscribers().Value() == 2);
  hub.unsubscribe(*first);
  CHECK(hub.subscribe("", v1::SEVERITY_UNSPECIFIED, "4").has_value());
}

TEST_CASE("close delivers every queued alert, then ends each subscription after what it holds") {
  anomstream::test::TempDir dir;
  const auto path = (dir.path() / "alerts.jsonl").string();
  DaemonMetrics metrics(1);
  AlertHub hub(metrics, nullptr, path, AlertSinkLimits{});
  auto watcher = hub.subscribe("", v1::SEVERITY_UNSPECIFIED, "w");
  REQUIRE(watcher);
  for (int i = 0; i < 500; ++i) REQUIRE(hub.publish(make_alert("a")));
  hub.close(10s);
  CHECK(lines_of(path).size() == 500);
  v1::Alert alert;
  int received = 0;
  while ((*watcher)->pop(alert, 100ms)) ++received;
  CHECK(received == 500);
  CHECK((*watcher)->closed());
  CHECK_FALSE(hub.publish(make_alert("a")));  // after the stop nothing new is taken
}

}  // namespace anomstream::daemon
