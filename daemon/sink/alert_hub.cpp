#include "sink/alert_hub.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "anomstream/triage/alert_record.hpp"
#include "common/clock.hpp"
#include "sink/alert_json.hpp"
#include "worker/log_text.hpp"

namespace anomstream::daemon {

bool AlertSubscription::wants(const v1::Alert& alert) const {
  return (tenant_.empty() || tenant_ == alert.tenant()) && alert.severity() >= min_severity_;
}

bool AlertSubscription::offer(const v1::Alert& alert) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return true;  // ending: nothing is lost that the client still waits for
    if (queue_.size() >= capacity_) {
      ++dropped_;
      ++dropped_unreported_;
      return false;
    }
    queue_.push_back(alert);
    // The count travels with the first alert queued after the losses, so the client
    // learns how many it missed, and where.
    queue_.back().set_watch_dropped_before(std::exchange(dropped_unreported_, 0));
  }
  ready_.notify_one();
  return true;
}

bool AlertSubscription::pop(v1::Alert& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !queue_.empty() || closed_; });
  if (queue_.empty()) return false;
  out = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

void AlertSubscription::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool AlertSubscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_ && queue_.empty();
}

AlertSubscription::Status AlertSubscription::status() const {
  std::lock_guard lock(mutex_);
  return {peer_, tenant_, min_severity_, queue_.size(), delivered_.load(std::memory_order_relaxed), dropped_};
}

AlertHub::AlertHub(DaemonMetrics& metrics, AuditLog* audit, const std::string& json_lines_path,
                   const AlertSinkLimits& limits, const std::string& records_path)
    : metrics_(metrics), audit_(audit), limits_(limits), records_path_(records_path) {
  open_json(json_lines_path);
  if (!records_path_.empty()) records_ = std::fopen(records_path_.c_str(), "ab");
  thread_ = std::thread([this] { run(); });
}

AlertHub::~AlertHub() {
  close(std::chrono::milliseconds(0));
  if (owns_json_ && json_ != nullptr) std::fclose(json_);
  if (records_ != nullptr) std::fclose(records_);
}

void AlertHub::open_json(const std::string& json_lines_path) {
  json_ = nullptr;
  owns_json_ = false;
  json_ok_ = true;
  if (json_lines_path == "-") {
    json_ = stdout;
  } else if (!json_lines_path.empty()) {
    json_ = std::fopen(json_lines_path.c_str(), "ab");
    owns_json_ = true;
    json_ok_ = json_ != nullptr;
  }
}

bool AlertHub::reopen(const std::string& json_lines_path) {
  std::lock_guard lock(json_mutex_);
  if (json_ != nullptr) std::fflush(json_);
  if (owns_json_ && json_ != nullptr) std::fclose(json_);
  open_json(json_lines_path);
  if (!records_path_.empty()) {
    if (records_ != nullptr) std::fclose(records_);
    records_ = std::fopen(records_path_.c_str(), "ab");
    if (records_ == nullptr) spdlog::error("event=sink_reopen_failed path=\"{}\"", escape_for_log(records_path_));
  }
  return json_ok_;
}

bool AlertHub::publish(v1::Alert alert) {
  metrics_.alerts(static_cast<std::size_t>(std::clamp<int>(alert.severity(), 0, SEVERITY_COUNT - 1)))
      .Increment();
  {
    std::lock_guard lock(queue_mutex_);
    const std::uint64_t sequence = ++sequence_;
    if (closing_ || queue_.size() >= limits_.queue_capacity) {
      if (lost_++ == 0) first_lost_ = sequence;
      metrics_.sink_alerts_dropped().Increment();
      return false;
    }
    alert.set_sequence(sequence);
    queue_.push_back(std::move(alert));
    ++pushed_;
    metrics_.sink_queue_depth().Set(static_cast<double>(queue_.size()));
  }
  queue_ready_.notify_one();
  return true;
}

bool AlertHub::publish_suppressed(v1::Alert alert) {
  {
    std::lock_guard lock(queue_mutex_);
    if (closing_ || queue_.size() >= limits_.queue_capacity) {
      ++lost_suppressed_;
      metrics_.sink_alerts_dropped().Increment();
      return false;
    }
    alert.set_sequence(0);
    alert.set_suppressed(true);
    queue_.push_back(std::move(alert));
    ++pushed_;
    metrics_.sink_queue_depth().Set(static_cast<double>(queue_.size()));
  }
  queue_ready_.notify_one();
  return true;
}

void AlertHub::run() {
  std::deque<v1::Alert> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [&] { return !queue_.empty() || lost_ > 0 || lost_suppressed_ > 0 || closing_; });
      if (queue_.empty() && lost_ == 0 && lost_suppressed_ == 0 && closing_) return;
      batch.swap(queue_);
      metrics_.sink_queue_depth().Set(0);
    }
    std::uint64_t last = 0;
    for (const auto& alert : batch) last = std::max(last, alert.sequence());
    const std::uint64_t handled = batch.size();
    {
      std::lock_guard json_lock(json_mutex_);
      for (auto& alert : batch) deliver(alert);
      if (json_ != nullptr) std::fflush(json_);
      if (records_ != nullptr) std::fflush(records_);
    }
    batch.clear();
    note_losses();
    {
      std::lock_guard lock(queue_mutex_);
      // Everything assigned is either written or lost once the queue is empty.
      finished_ = queue_.empty() ? sequence_ : std::max(finished_, last);
      handled_ += handled;
    }
    queue_drained_.notify_all();
  }
}

// Called on the sink thread with json_mutex_ held.
void AlertHub::deliver(v1::Alert& alert) {
  // Named by the tenant's triage desk; only an alert it could not name (its key draw
  // failed) gets one here, unique within this run only.
  if (alert.alert_id().empty()) {
    alert.set_alert_id(alert.tenant() + "/" + alert.stream() + "/" + std::to_string(alert.sequence()));
  }
  const std::string json = alert_to_json(alert);
  if (alert.suppressed()) {
    if (audit_ != nullptr) {
      if (audit_->append(wall_now_ns(), "alert_suppressed", json)) {
        metrics_.audit_entries().Increment();
      } else {
        metrics_.sink_errors().Increment();
      }
    }
    return;
  }
  if (json_ != nullptr) {
    if (std::fwrite(json.data(), 1, json.size(), json_) != json.size() || std::fputc('\n', json_) == EOF) {
      metrics_.sink_errors().Increment();
    }
  }
  if (!records_path_.empty()) write_record(alert);
  if (audit_ != nullptr) {
    if (audit_->append(wall_now_ns(), "alert", json)) {
      metrics_.audit_entries().Increment();
    } else {
      metrics_.sink_errors().Increment();
    }
  }
  std::lock_guard lock(subscribers_mutex_);
  for (const auto& subscriber : subscribers_) {
    if (subscriber->wants(alert) && !subscriber->offer(alert)) metrics_.watch_dropped().Increment();
  }
}

// The alert as an AlertRecord line. One the record refuses (a negative observation time,
// which the record's schema does not allow) or a failed write is counted, not written.
void AlertHub::write_record(const v1::Alert& alert) {
  if (records_ == nullptr) {
    metrics_.sink_errors().Increment();
    return;
  }
  triage::AlertContext c;
  c.alert_id = alert.alert_id();
  c.tenant = alert.tenant();
  c.stream = alert.stream();
  c.timestamp_ns = alert.timestamp_ns();
  c.received_ns = alert.received_ns();
  c.emitted_ns = wall_now_ns();
  c.score = alert.score();
  c.probability = alert.probability();
  c.severity = static_cast<stats::Severity>(std::clamp<int>(alert.severity(), 0, 4));
  for (const auto& f : alert.top_features()) {
    c.attribution.push_back({f.index(), f.share(),
                             f.direction() == v1::DIRECTION_LOW ? triage::AttributionDirection::low
                                                                : triage::AttributionDirection::high});
  }
  c.cluster_id = alert.cluster_id();
  c.model_version = alert.model_version().empty() ? "unknown" : alert.model_version();
  auto record = triage::AlertRecord::create(std::move(c));
  if (!record) {
    metrics_.sink_errors().Increment();
    return;
  }
  const std::string line = record->to_json();
  if (std::fwrite(line.data(), 1, line.size(), records_) != line.size() || std::fputc('\n', records_) == EOF) {
    metrics_.sink_errors().Increment();
  }
}

void AlertHub::note_losses() {
  std::uint64_t lost = 0;
  std::uint64_t first = 0;
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(queue_mutex_);
    lost = std::exchange(lost_, 0);
    first = first_lost_;
    suppressed = std::exchange(lost_suppressed_, 0);
  }
  if (lost == 0 && suppressed == 0) return;
  spdlog::warn("event=alerts_dropped count={} first_sequence={} suppressed={} reason=sink_queue_full", lost, first,
               suppressed);
  if (audit_ != nullptr &&
      audit_->append(wall_now_ns(), "alerts_dropped",
                     "{\"event\":\"alerts_dropped\",\"count\":" + std::to_string(lost) +
                         ",\"first_sequence\":" + std::to_string(first) +
                         ",\"suppressed\":" + std::to_string(suppressed) + "}")) {
    metrics_.audit_entries().Increment();
  }
}

std::expected<std::shared_ptr<AlertSubscription>, std::string> AlertHub::subscribe(std::string tenant,
                                                                                    v1::Severity min_severity,
                                                                                    std::string peer) {
  std::lock_guard lock(subscribers_mutex_);
  if (subscribers_.size() >= limits_.max_subscribers) {
    metrics_.watch_refused().Increment();
    return std::unexpected("sinks.watch.max_subscribers (" + std::to_string(limits_.max_subscribers) +
                           ") subscribers are watching");
  }
  auto subscription = std::make_shared<AlertSubscription>(std::move(tenant), min_severity, std::move(peer),
                                                          limits_.subscriber_capacity);
  subscribers_.push_back(subscription);
  metrics_.watch_subscribers().Set(static_cast<double>(subscribers_.size()));
  return subscription;
}

void AlertHub::unsubscribe(const std::shared_ptr<AlertSubscription>& subscription) {
  const auto status = subscription->status();
  {
    std::lock_guard lock(subscribers_mutex_);
    std::erase(subscribers_, subscription);
    metrics_.watch_subscribers().Set(static_cast<double>(subscribers_.size()));
  }
  spdlog::info("event=watch_ended peer=\"{}\" tenant=\"{}\" delivered={} dropped={}", escape_for_log(status.peer),
               escape_for_log(status.tenant), status.delivered, status.dropped);
}

bool AlertHub::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mutex_);
  const std::uint64_t target = sequence_;
  const std::uint64_t pushed = pushed_;
  return queue_drained_.wait_for(lock, timeout,
                                 [&] { return (finished_ >= target && handled_ >= pushed) || closing_; });
}

void AlertHub::close(std::chrono::milliseconds timeout) {
  if (closed_) return;
  closed_ = true;
  drain(timeout);
  std::uint64_t abandoned = 0;
  {
    std::lock_guard lock(queue_mutex_);
    closing_ = true;
    abandoned = queue_.size();
    if (abandoned > 0) {
      for (const auto& alert : queue_) {
        if (alert.suppressed()) {
          ++lost_suppressed_;
        } else {
          if (lost_++ == 0) first_lost_ = alert.sequence();
        }
      }
      queue_.clear();
      metrics_.sink_alerts_dropped().Increment(static_cast<double>(abandoned));
    }
  }
  queue_ready_.notify_all();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(json_mutex_);
    if (json_ != nullptr) std::fflush(json_);
  }
  if (audit_ != nullptr) audit_->flush();
  std::lock_guard lock(subscribers_mutex_);
  for (const auto& subscriber : subscribers_) subscriber->close();
}

std::uint64_t AlertHub::published() const {
  std::lock_guard lock(queue_mutex_);
  return sequence_;
}

std::vector<AlertSubscription::Status> AlertHub::subscribers() const {
  std::lock_guard lock(subscribers_mutex_);
  std::vector<AlertSubscription::Status> out;
  out.reserve(subscribers_.size());
  for (const auto& subscriber : subscribers_) out.push_back(subscriber->status());
  return out;
}

}  // namespace anomstream::daemon
