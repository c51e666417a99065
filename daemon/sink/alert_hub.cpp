#include "sink/alert_hub.hpp"

#include <algorithm>
#include <chrono>

#include "sink/alert_json.hpp"

namespace anomstream::daemon {

bool AlertSubscription::wants(const v1::Alert& alert) const {
  return (tenant_.empty() || tenant_ == alert.tenant()) && alert.severity() >= min_severity_;
}

bool AlertSubscription::offer(const v1::Alert& alert) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || queue_.size() >= WATCH_QUEUE_CAPACITY) return false;
    queue_.push_back(alert);
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

AlertHub::AlertHub(DaemonMetrics& metrics, AuditLog* audit, const std::string& json_lines_path)
    : metrics_(metrics), audit_(audit) {
  open_json(json_lines_path);
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
  std::lock_guard lock(mutex_);
  if (json_ != nullptr) std::fflush(json_);
  if (owns_json_ && json_ != nullptr) std::fclose(json_);
  open_json(json_lines_path);
  return json_ok_;
}

AlertHub::~AlertHub() {
  flush(true);
  if (owns_json_ && json_ != nullptr) std::fclose(json_);
}

void AlertHub::publish(v1::Alert alert) {
  std::lock_guard lock(mutex_);
  alert.set_sequence(++sequence_);
  alert.set_alert_id(alert.tenant() + "/" + alert.stream() + "/" + std::to_string(sequence_));
  const std::string json = alert_to_json(alert);
  if (json_ != nullptr) {
    if (std::fwrite(json.data(), 1, json.size(), json_) != json.size() || std::fputc('\n', json_) == EOF) {
      metrics_.sink_errors().Increment();
    }
  }
  if (audit_ != nullptr) {
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    if (audit_->append(now, "alert", json)) {
      metrics_.audit_entries().Increment();
    } else {
      metrics_.sink_errors().Increment();
    }
  }
  metrics_.alerts(static_cast<std::size_t>(std::clamp<int>(alert.severity(), 0, SEVERITY_COUNT - 1)))
      .Increment();
  for (const auto& subscriber : subscribers_) {
    if (subscriber->wants(alert) && !subscriber->offer(alert)) {
      metrics_.watch_dropped().Increment();
    }
  }
}

std::shared_ptr<AlertSubscription> AlertHub::subscribe(std::string tenant, v1::Severity min_severity) {
  auto subscription = std::make_shared<AlertSubscription>(std::move(tenant), min_severity);
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscription);
  return subscription;
}

void AlertHub::unsubscribe(const std::shared_ptr<AlertSubscription>& subscription) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, subscription);
}

void AlertHub::flush(bool final) {
  std::lock_guard lock(mutex_);
  if (json_ != nullptr) std::fflush(json_);
  if (audit_ != nullptr) audit_->flush();
  if (final) {
    for (const auto& subscriber : subscribers_) subscriber->close();
  }
}

std::uint64_t AlertHub::published() const {
  std::lock_guard lock(mutex_);
  return sequence_;
}

}  // namespace anomstream::daemon
