#include "anomstream/hotpath/metrics_batcher.hpp"

namespace anomstream::hotpath {

MetricsBatcher::MetricsBatcher(MetricsBatcher&& other) noexcept
    : sink_(other.sink_), pending_(other.pending_), operations_(other.operations_) {
  other.pending_.fill(0);
  other.operations_ = 0;
}

MetricsBatcher& MetricsBatcher::operator=(MetricsBatcher&& other) noexcept {
  if (this != &other) {
    flush_metrics();
    sink_ = other.sink_;
    pending_ = other.pending_;
    operations_ = other.operations_;
    other.pending_.fill(0);
    other.operations_ = 0;
  }
  return *this;
}

void MetricsBatcher::flush_metrics() noexcept {
  if (operations_ == 0) {
    return;
  }
  sink_->record(pending_);
  pending_.fill(0);
  operations_ = 0;
}

}  // namespace anomstream::hotpath
