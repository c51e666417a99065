#pragma once
// Where alerts go once a worker has emitted them: sequence numbers and ids are assigned
// here, then every alert is written to the JSON-lines sink (stdout or a file), appended
// to the audit log, counted, and offered to every WatchAlerts subscriber whose filter
// matches. A subscriber has a bounded queue; when it is full the alert is dropped for
// that subscriber only and counted (anomstream_sink_watch_alerts_dropped_total), so a
// slow client never stalls the workers.

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "anomstream/v1/alert.pb.h"
#include "audit/audit_log.hpp"
#include "metrics/daemon_metrics.hpp"

namespace anomstream::daemon {

inline constexpr std::size_t WATCH_QUEUE_CAPACITY = 4096;

class AlertSubscription {
 public:
  AlertSubscription(std::string tenant, v1::Severity min_severity)
      : tenant_(std::move(tenant)), min_severity_(min_severity) {}

  [[nodiscard]] bool wants(const v1::Alert& alert) const;
  // false when full (the caller counts the drop).
  bool offer(const v1::Alert& alert);
  // Waits up to `timeout` for an alert; false on timeout or once closed and empty.
  bool pop(v1::Alert& out, std::chrono::milliseconds timeout);
  void close();
  [[nodiscard]] bool closed() const;

 private:
  std::string tenant_;
  v1::Severity min_severity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<v1::Alert> queue_;
  bool closed_ = false;
};

class AlertHub {
 public:
  // json_lines_path: "" (off), "-" (stdout) or a file appended to.
  AlertHub(DaemonMetrics& metrics, AuditLog* audit, const std::string& json_lines_path);

  ~AlertHub();
  AlertHub(const AlertHub&) = delete;
  AlertHub& operator=(const AlertHub&) = delete;

  [[nodiscard]] bool sink_ok() const { return json_ok_; }

  // Assigns the sequence number and id, then delivers. Thread-safe.
  void publish(v1::Alert alert);
  std::shared_ptr<AlertSubscription> subscribe(std::string tenant, v1::Severity min_severity);
  void unsubscribe(const std::shared_ptr<AlertSubscription>& subscription);
  // Flushes the JSON-lines sink and the audit log; closes subscriptions if `final`.
  void flush(bool final);
  // Closes and reopens the JSON-lines sink at `json_lines_path` (SIGHUP, logrotate);
  // false (and the sink off, counted on write) when the file cannot be opened.
  bool reopen(const std::string& json_lines_path);
  [[nodiscard]] std::uint64_t published() const;

 private:
  void open_json(const std::string& json_lines_path);

  DaemonMetrics& metrics_;
  AuditLog* audit_;
  std::FILE* json_ = nullptr;
  bool owns_json_ = false;
  bool json_ok_ = true;
  mutable std::mutex mutex_;
  std::uint64_t sequence_ = 0;
  std::vector<std::shared_ptr<AlertSubscription>> subscribers_;
};

}  // namespace anomstream::daemon
