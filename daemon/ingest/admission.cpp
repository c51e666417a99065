#include "ingest/admission.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "common/clock.hpp"

namespace anomstream::daemon {
namespace {

hotpath::CounterId counter(IngestCounter c) {
  return *hotpath::CounterId::from_index(static_cast<std::size_t>(c));
}
hotpath::CounterId rejected_counter(RejectReason r) {
  return *hotpath::CounterId::from_index(static_cast<std::size_t>(IngestCounter::rejected_first) +
                                         static_cast<std::size_t>(r));
}

// Empty, overlong, or containing control characters.
const char* name_problem(const std::string& name) {
  if (name.size() > MAX_NAME_BYTES) return "longer than 128 bytes";
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "contains a control character";
  }
  return nullptr;
}

}  // namespace

static_assert(static_cast<std::size_t>(IngestCounter::rejected_first) + REJECT_REASON_COUNT <=
              hotpath::MAX_METRIC_COUNTERS);

void PrometheusIngestSink::record(const hotpath::CounterArray& deltas) noexcept {
  auto add = [&](prometheus::Counter& c, std::uint64_t d) {
    if (d > 0) c.Increment(static_cast<double>(d));
  };
  add(metrics_.received(Transport::grpc), deltas[static_cast<std::size_t>(IngestCounter::received_grpc)]);
  add(metrics_.received(Transport::udp), deltas[static_cast<std::size_t>(IngestCounter::received_udp)]);
  add(metrics_.accepted(), deltas[static_cast<std::size_t>(IngestCounter::accepted)]);
  add(metrics_.sampled_out(), deltas[static_cast<std::size_t>(IngestCounter::sampled_out)]);
  add(metrics_.rate_capped(), deltas[static_cast<std::size_t>(IngestCounter::rate_capped)]);
  add(metrics_.dropped(DropReason::queue_full), deltas[static_cast<std::size_t>(IngestCounter::dropped_queue_full)]);
  for (std::size_t r = 0; r < REJECT_REASON_COUNT; ++r) {
    add(metrics_.rejected(static_cast<RejectReason>(r)),
        deltas[static_cast<std::size_t>(IngestCounter::rejected_first) + r]);
  }
}

StreamDimensions::StreamDimensions(std::size_t capacity, SipKey key)
    : capacity_per_shard_((capacity + SHARDS - 1) / SHARDS), key_(key), shards_(std::make_unique<Shard[]>(SHARDS)) {}

std::uint32_t StreamDimensions::establish(const std::string& tenant, const std::string& stream,
                                          std::uint32_t dimension) {
  const std::uint64_t stream_key = siphash24(key_, tenant + '\0' + stream);
  Shard& shard = shards_[stream_key % SHARDS];
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(stream_key); it != shard.index.end()) {
    shard.order.splice(shard.order.begin(), shard.order, it->second);
    return it->second->second;
  }
  if (shard.order.size() >= capacity_per_shard_) {
    shard.index.erase(shard.order.back().first);
    shard.order.pop_back();
  }
  shard.order.emplace_front(stream_key, dimension);
  shard.index.emplace(stream_key, shard.order.begin());
  return dimension;
}

Admission::Admission(const AdmissionLimits& limits, DaemonMetrics& metrics,
                     std::vector<hotpath::Sender<WorkItem>> senders, AdmissionPolicy policy,
                     const AdmissionKeys& keys)
    : limits_(limits),
      metrics_(metrics),
      sink_(metrics),
      senders_(std::move(senders)),
      dimensions_(limits.max_streams, keys.streams),
      tenants_(limits.tenants, keys.tenants),
      shard_key_(keys.shard),
      enqueued_(std::make_unique<std::atomic<std::uint64_t>[]>(senders_.size())) {
  replace_policy(std::move(policy));
}

void Admission::replace_policy(AdmissionPolicy policy) {
  std::lock_guard lock(policy_mutex_);
  policies_.push_back(std::make_unique<AdmissionPolicy>(std::move(policy)));
  policy_.store(policies_.back().get(), std::memory_order_release);
}

void Admission::close_queues() {
  for (auto& sender : senders_) sender.close();
}

bool Admission::send_request(const std::string& tenant, WorkItem item) {
  const std::size_t worker = worker_of(tenant);
  item.tenant = tenant;
  if (senders_[worker].try_send(std::move(item)) != hotpath::SendStatus::sent) return false;
  enqueued_[worker].fetch_add(1, std::memory_order_relaxed);
  return true;
}

hotpath::SendStatus Admission::send_to(std::size_t worker, WorkItem& item, std::chrono::nanoseconds timeout) {
  const auto status = senders_[worker].send_for(std::move(item), timeout);
  if (status == hotpath::SendStatus::sent) enqueued_[worker].fetch_add(1, std::memory_order_relaxed);
  return status;
}

std::size_t Admission::worker_of(std::string_view tenant) const {
  return siphash24(shard_key_, tenant) % senders_.size();
}

void Admission::count_received(Transport transport, IngestTally& tally, hotpath::MetricsBatcher& batcher) {
  ++tally.received;
  batcher.add(counter(transport == Transport::grpc ? IngestCounter::received_grpc : IngestCounter::received_udp));
}

void Admission::reject(RejectReason reason, std::string detail, std::uint64_t index, IngestTally& tally,
                       hotpath::MetricsBatcher& batcher) {
  tally.reject(index, reason, std::move(detail));
  batcher.add(rejected_counter(reason));
}

void Admission::reject_undecoded(Transport transport, RejectReason reason, std::string detail,
                                 std::uint64_t index, IngestTally& tally, hotpath::MetricsBatcher& batcher) {
  count_received(transport, tally, batcher);
  reject(reason, std::move(detail), index, tally, batcher);
}

void Admission::admit(const v1::Observation& o, Transport transport, std::uint64_t index, IngestTally& tally,
                      hotpath::MetricsBatcher& batcher) {
  count_received(transport, tally, batcher);
  if (shutting_down_.load(std::memory_order_relaxed)) {
    return reject(RejectReason::shutting_down, "the daemon is shutting down", index, tally, batcher);
  }
  if (o.tenant().empty()) {
    return reject(RejectReason::missing_tenant, "tenant: must not be empty", index, tally, batcher);
  }
  if (const char* problem = name_problem(o.tenant())) {
    return reject(RejectReason::invalid_name, std::string("tenant: ") + problem, index, tally, batcher);
  }
  if (const char* problem = name_problem(o.stream())) {
    return reject(RejectReason::invalid_name, std::string("stream: ") + problem, index, tally, batcher);
  }
  const auto dim = static_cast<std::size_t>(o.values_size());
  if (dim == 0) {
    return reject(RejectReason::empty_values, "values: must hold at least one value", index, tally, batcher);
  }
  if (dim > limits_.max_dimension) {
    return reject(RejectReason::dimension_too_large,
                  "values: at most " + std::to_string(limits_.max_dimension) + " values (got " +
                      std::to_string(dim) + ")",
                  index, tally, batcher);
  }
  for (int i = 0; i < o.values_size(); ++i) {
    if (!std::isfinite(o.values(i))) {
      return reject(RejectReason::non_finite, "values[" + std::to_string(i) + "]: must be finite", index,
                    tally, batcher);
    }
    if (std::abs(o.values(i)) > limits_.max_abs_value) {
      return reject(RejectReason::out_of_range,
                    "values[" + std::to_string(i) + "]: magnitude above ingest.max_abs_value (" +
                        fmt::format("{:g}", limits_.max_abs_value) + ")",
                    index, tally, batcher);
    }
  }
  const std::uint64_t tenant_hash = siphash24(shard_key_, o.tenant());
  switch (tenants_.admit(o.tenant(), tenant_hash, static_cast<std::int64_t>(hotpath::monotonic_now_ns()))) {
    case TenantRegistry::Verdict::new_tenant_limited:
      return reject(RejectReason::tenant_limit,
                    "tenant: new tenants arrive faster than tenants.new_per_second; try again later", index, tally,
                    batcher);
    case TenantRegistry::Verdict::rate_limited:
      ++tally.rate_capped;
      batcher.add(counter(IngestCounter::rate_capped));
      return;
    case TenantRegistry::Verdict::admitted: break;
  }
  std::size_t expected = limits_.fixed_dimension;
  if (expected == 0) {
    expected = dimensions_.establish(o.tenant(), o.stream(), static_cast<std::uint32_t>(dim));
  }
  if (dim != expected) {
    return reject(RejectReason::dimension_mismatch,
                  "values: stream " + o.tenant() + "/" + o.stream() + " has dimension " +
                      std::to_string(expected) + " (got " + std::to_string(dim) + ")",
                  index, tally, batcher);
  }
  AdmissionPolicy& policy = *policy_.load(std::memory_order_acquire);
  if (!policy.rate_cap.allow(std::string_view(o.tenant()), hotpath::monotonic_now_ns())) {
    ++tally.rate_capped;
    batcher.add(counter(IngestCounter::rate_capped));
    return;
  }
  const bool update_model = o.flow_key().empty()
                                ? policy.sampler.should_update(std::string_view(o.tenant() + '/' + o.stream()))
                                : policy.sampler.should_update(std::string_view(o.flow_key()));
  if (publisher_ != nullptr) {
    if (!tally.publishing) tally.publishing = publisher_->begin();
    tally.publishing->add(o, update_model, wall_now_ns());
    tally.published.emplace_back(index, update_model);
    if (tally.published.size() >= PUBLISH_WINDOW) settle(tally, batcher);
    return;
  }
  WorkItem item;
  item.update = update_model;
  item.received_steady_ns = steady_now_ns();
  item.received_ns = wall_now_ns();
  item.timestamp_ns = o.timestamp_ns();
  item.values.assign(o.values().begin(), o.values().end());
  const std::size_t worker = tenant_hash % senders_.size();
  item.tenant = o.tenant();
  item.stream = o.stream();
  const bool update = item.update;
  switch (senders_[worker].try_send(std::move(item))) {
    case hotpath::SendStatus::sent:
      enqueued_[worker].fetch_add(1, std::memory_order_relaxed);
      ++tally.accepted;
      batcher.add(counter(IngestCounter::accepted));
      if (!update) {
        ++tally.sampled_out;
        batcher.add(counter(IngestCounter::sampled_out));
      }
      return;
    case hotpath::SendStatus::closed:
      return reject(RejectReason::shutting_down, "the daemon is shutting down", index, tally, batcher);
    default:
      ++tally.dropped;
      batcher.add(counter(IngestCounter::dropped_queue_full));
      return;
  }
}

void Admission::settle(IngestTally& tally, hotpath::MetricsBatcher& batcher) {
  if (!tally.publishing) return;
  const std::vector<std::string> errors = tally.publishing->finish();
  for (std::size_t i = 0; i < tally.published.size(); ++i) {
    const auto [index, update] = tally.published[i];
    if (i < errors.size() && !errors[i].empty()) {
      reject(RejectReason::publish_failed, "jetstream: " + errors[i], index, tally, batcher);
      continue;
    }
    ++tally.accepted;
    batcher.add(counter(IngestCounter::accepted));
    if (!update) {
      ++tally.sampled_out;
      batcher.add(counter(IngestCounter::sampled_out));
    }
  }
  tally.publishing.reset();
  tally.published.clear();
}

void Admission::shut_down() { shutting_down_.store(true, std::memory_order_relaxed); }

}  // namespace anomstream::daemon
