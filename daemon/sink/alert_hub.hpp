#pragma once
// Where alerts go once a worker has raised them. A worker only takes the next sequence
// number and queues the alert (bounded, `sinks.queue_capacity`); one sink thread then
// names it, writes it to the JSON-lines sink, appends it to the audit log and offers it
// to every WatchAlerts subscriber whose filter matches. No worker ever waits for a file,
// a pipe, the audit key or a client:
//   - a full sink queue (a sink stalled longer than the queue lasts) loses the alert:
//     its sequence number stays a visible gap, it is counted
//     (anomstream_sink_alerts_dropped_total), and the sink thread writes one
//     `alerts_dropped` audit entry for each run of losses;
//   - subscribers are capped (`sinks.watch.max_subscribers`); each has its own bounded
//     buffer (`sinks.watch.queue_capacity`); a subscriber whose buffer is full loses the
//     alert alone, counted for it (in its status, and in `watch_dropped_before` of the
//     next alert it gets) and in anomstream_sink_watch_alerts_dropped_total.
// Memory: at most queue_capacity + max_subscribers × subscriber_capacity alerts.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "anomstream/v1/alert.pb.h"
#include "audit/audit_log.hpp"
#include "metrics/daemon_metrics.hpp"

namespace anomstream::daemon {

struct AlertSinkLimits {
  std::size_t queue_capacity = 16384;      // alerts between the workers and the sink thread
  std::size_t max_subscribers = 64;        // concurrent WatchAlerts streams
  std::size_t subscriber_capacity = 4096;  // alerts buffered per subscriber
};

class AlertSubscription {
 public:
  AlertSubscription(std::string tenant, v1::Severity min_severity, std::string peer, std::size_t capacity)
      : tenant_(std::move(tenant)), min_severity_(min_severity), peer_(std::move(peer)), capacity_(capacity) {}

  [[nodiscard]] bool wants(const v1::Alert& alert) const;
  // false when the buffer is full: the alert is lost for this subscriber (counted here).
  bool offer(const v1::Alert& alert);
  // Waits up to `timeout` for an alert; false on timeout or once closed and empty. An
  // alert carries how many this subscriber lost just before it (watch_dropped_before).
  bool pop(v1::Alert& out, std::chrono::milliseconds timeout);
  void delivered() { delivered_.fetch_add(1, std::memory_order_relaxed); }
  void close();
  [[nodiscard]] bool closed() const;

  struct Status {
    std::string peer;
    std::string tenant;
    v1::Severity min_severity;
    std::uint64_t queued;
    std::uint64_t delivered;
    std::uint64_t dropped;
  };
  [[nodiscard]] Status status() const;

 private:
  const std::string tenant_;
  const v1::Severity min_severity_;
  const std::string peer_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<v1::Alert> queue_;
  bool closed_ = false;
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_unreported_ = 0;
  std::atomic<std::uint64_t> delivered_{0};
};

class AlertHub {
 public:
  // json_lines_path: "" (off), "-" (stdout) or a file appended to. records_path: "" (off)
  // or a file that gets every raised alert as a strict, versioned AlertRecord JSON line
  // (docs/alert-record.schema.json). Starts the sink thread.
  AlertHub(DaemonMetrics& metrics, AuditLog* audit, const std::string& json_lines_path,
           const AlertSinkLimits& limits, const std::string& records_path = "");

  ~AlertHub();
  AlertHub(const AlertHub&) = delete;
  AlertHub& operator=(const AlertHub&) = delete;

  [[nodiscard]] bool sink_ok() const { return json_ok_; }
  [[nodiscard]] bool records_ok() const { return records_path_.empty() || records_ != nullptr; }

  // Worker side: assigns the sequence number and queues; never waits for a sink. false
  // when the sink queue was full and the alert was lost (counted). Thread-safe.
  bool publish(v1::Alert alert);
  // Worker side: an alert that feedback suppressed (alert.suppressed()). It takes no
  // sequence number and reaches only the audit log (an `alert_suppressed` entry), in
  // the order it was published among the others; lost (counted) like any alert when the
  // sink queue is full.
  bool publish_suppressed(v1::Alert alert);
  // Refused (the reason) beyond max_subscribers. `peer` names the client in the status.
  std::expected<std::shared_ptr<AlertSubscription>, std::string> subscribe(std::string tenant,
                                                                           v1::Severity min_severity,
                                                                           std::string peer);
  void unsubscribe(const std::shared_ptr<AlertSubscription>& subscription);
  // Waits until every alert published before the call has left the sink thread and the
  // sinks are flushed; false when `timeout` passed first.
  bool drain(std::chrono::milliseconds timeout);
  // Stop: drains for up to `timeout`, counts what is still queued as lost (shutdown),
  // joins the sink thread, flushes, and closes every subscription (each then delivers
  // what it holds). Idempotent.
  void close(std::chrono::milliseconds timeout);
  // Closes and reopens the JSON-lines sink at `json_lines_path` (SIGHUP, logrotate), and the
  // records file at its path; false (and the sink off, counted on write) when the
  // JSON-lines file cannot be opened.
  bool reopen(const std::string& json_lines_path);
  // The last sequence number assigned (alerts raised, lost ones included).
  [[nodiscard]] std::uint64_t published() const;
  [[nodiscard]] std::vector<AlertSubscription::Status> subscribers() const;

 private:
  void open_json(const std::string& json_lines_path);
  void write_record(const v1::Alert& alert);
  void run();
  void deliver(v1::Alert& alert);
  void note_losses();

  DaemonMetrics& metrics_;
  AuditLog* audit_;
  const AlertSinkLimits limits_;

  // Worker side: the queue and the sequence (one short lock, no I/O).
  mutable std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::condition_variable queue_drained_;
  std::deque<v1::Alert> queue_;
  std::uint64_t sequence_ = 0;
  std::uint64_t finished_ = 0;  // highest sequence the sink thread is done with
  std::uint64_t lost_ = 0;      // lost since the sink thread last noted it
  std::uint64_t first_lost_ = 0;
  std::uint64_t lost_suppressed_ = 0;  // suppressed alerts lost since last noted
  std::uint64_t pushed_ = 0;    // alerts queued, suppressed ones included
  std::uint64_t handled_ = 0;   // of those, done with by the sink thread
  bool closing_ = false;

  // Sink-thread side.
  std::mutex json_mutex_;
  std::FILE* json_ = nullptr;
  bool owns_json_ = false;
  bool json_ok_ = true;
  const std::string records_path_;
  std::FILE* records_ = nullptr;

  mutable std::mutex subscribers_mutex_;
  std::vector<std::shared_ptr<AlertSubscription>> subscribers_;

  std::thread thread_;
  bool closed_ = false;
};

}  // namespace anomstream::daemon
