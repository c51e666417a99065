#include "worker/worker.hpp"

#include <spdlog/spdlog.h>

#include <time.h>

#include <chrono>

#include "anomstream/core/siphash.hpp"
#include "common/clock.hpp"
#include "worker/log_text.hpp"

namespace anomstream::daemon {
namespace {

// CPU time of the calling thread.
double thread_cpu_seconds() {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0.0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
// A tenant's place within the snapshot interval: spread by a hash of its name.
std::int64_t snapshot_phase(std::string_view tenant, std::int64_t interval_ns) {
  constexpr SipKey PHASE_KEY{0x736e617073686f74ULL, 0x7068617365000000ULL};  // spreading, not secrecy
  return static_cast<std::int64_t>(siphash24(PHASE_KEY, tenant) % static_cast<std::uint64_t>(interval_ns));
}
// Snapshots a queue that is full now are tried again this much later.
constexpr std::int64_t SNAPSHOT_RETRY_NS = 1'000'000'000;
}  // namespace

void LiveSettings::replace(const PipelineSettings& settings) {
  std::lock_guard lock(mutex_);
  settings_ = settings;
  generation_.fetch_add(1, std::memory_order_release);
}

PipelineSettings LiveSettings::get() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

// A stream's bytes are measured when it joins and every MEASURE_EVERY uses after (a
// forest grows until its sample is full).
constexpr std::uint32_t MEASURE_EVERY = 256;

void Worker::TenantState::add(const std::string& name, std::unique_ptr<StreamPipeline> pipeline) {
  StreamSlot slot;
  slot.bytes = pipeline->memory_bytes() + name.capacity();
  slot.pipeline = std::move(pipeline);
  slot.last_used = ++clock;
  bytes += slot.bytes;
  streams.insert_or_assign(name, std::move(slot));
}

// A stream saved on its own: the tenant and stream names joined by a unit separator,
// which no valid name contains (names refuse control characters).
std::string stream_key(const std::string& tenant, const std::string& stream) {
  return tenant + '\x1f' + stream;
}

Worker::Worker(std::size_t index, hotpath::Receiver<WorkItem> queue, const std::atomic<std::uint64_t>& enqueued,
               const WorkerContext& context, AlertHub& hub, DaemonMetrics& metrics)
    : index_(index),
      queue_(std::move(queue)),
      capacity_(queue_.capacity()),
      context_(context),
      settings_(context.settings->get()),
      settings_generation_(context.settings->generation()),
      hub_(hub),
      metrics_(metrics),
      batch_(metrics),
      enqueued_(enqueued) {
  auto created = TenantPool::create(
      context_.pool,
      [this](std::string_view tenant, std::size_t) -> Result<std::unique_ptr<TenantState>> {
        return restore_tenant(std::string(tenant));
      },
      [this](std::string_view tenant, const std::unique_ptr<TenantState>& state) {
        // Written before it goes, so the tenant comes back warm.
        if (context_.store != nullptr && state->dirty()) save(std::string(tenant), *state, true);
        spdlog::debug("event=tenant_evicted worker={} tenant=\"{}\"", index_, escape_for_log(tenant));
        metrics_.pool_evictions().Increment();
        metrics_.live_tenants().Decrement();
      });
  if (!created) throw std::invalid_argument("tenants: " + created.error().message());
  tenants_.emplace(std::move(*created));
}

Worker::~Worker() { join(); }

void Worker::start() {
  heartbeat_ns_.store(steady_now_ns(), std::memory_order_relaxed);
  pass_started_ns_ = steady_now_ns();
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Worker::queue_depth() const noexcept {
  const auto in = enqueued_.load(std::memory_order_relaxed);
  const auto out = dequeued_.load(std::memory_order_relaxed);
  return in > out ? in - out : 0;
}

void Worker::publish_gauges() {
  metrics_.queue_depth(index_).Set(static_cast<double>(queue_depth()));
  const double cpu = thread_cpu_seconds();
  if (cpu > cpu_published_) {
    metrics_.worker_cpu_seconds(index_).Increment(cpu - cpu_published_);
    cpu_published_ = cpu;
  }
}

void Worker::run() {
  std::uint64_t since_gauge = 0;
  while (true) {
    const std::int64_t now = steady_now_ns();
    heartbeat_ns_.store(now, std::memory_order_relaxed);
    if (context_.settings->generation() != settings_generation_) retune_all();
    auto item = queue_.recv_for(std::chrono::milliseconds(50));
    if (!item) {
      if (item.error() == hotpath::RecvError::closed) break;
      batch_.flush();
      publish_gauges();
      snapshot_due(steady_now_ns());
      continue;
    }
    if (item->command) {
      apply_command(*item->command);
    } else if (item->feedback) {
      // A verdict is cheap and a client waits for it: answered even when out of time.
      apply_feedback(item->tenant, *item->feedback);
    } else if (item->explain) {
      apply_explain(item->tenant, *item->explain);
    } else if (now > drain_deadline_ns_.load(std::memory_order_relaxed)) {
      // Stopping and out of time: what is left is counted, not scored (and a JetStream
      // message is not acknowledged, so its partition's next owner scores it).
      metrics_.dropped(DropReason::shutdown).Increment();
      if (item->ticket) item->ticket->latch->done(false, false);
    } else {
      const Processed done = process(*item);
      if (item->ticket) item->ticket->latch->done(done.applied, done.alerted);
    }
    // Counted dequeued only after scoring, so "scored" never lags what left the queue
    // at a quiescent point; flushed when the queue is empty so counts are exact then.
    dequeued_.fetch_add(1, std::memory_order_relaxed);
    if (++since_gauge == 256 || queue_depth() == 0) {
      since_gauge = 0;
      batch_.flush();
      publish_gauges();
    }
    snapshot_due(now);
  }
  batch_.flush();
  snapshot_all();
  publish_gauges();
  spdlog::debug("event=worker_stopped worker={} scored={}", index_, scored());
}

std::unique_ptr<Worker::TenantState> Worker::restore_tenant(const std::string& tenant) {
  if (context_.store == nullptr) return std::make_unique<TenantState>(context_.stream_index_key);
  auto loaded = context_.store->load(tenant, context_.fingerprint);
  if (!loaded) return std::make_unique<TenantState>(context_.stream_index_key);
  std::string error;
  auto state = state_from_body(loaded->file.body, error);
  if (!state) {
    context_.store->quarantine(*loaded, StateProblem::bad_body, error);
    return std::make_unique<TenantState>(context_.stream_index_key);  // cold, never half restored
  }
  context_.store->count_restored();
  if (std::uint64_t suppressed = 0; restore_log_.allow(LogLimiter::Clock::now(), suppressed)) {
    spdlog::info("event=tenant_restored worker={} tenant=\"{}\" streams={} position={} suppressed={}", index_,
                 escape_for_log(tenant),
                 state->streams.size(), state->position, suppressed);
  }
  return state;
}

std::unique_ptr<Worker::TenantState> Worker::state_from_body(const state::v1::TenantState& body, std::string& error) {
  auto state = std::make_unique<TenantState>(context_.stream_index_key);
  for (const auto& stream : body.streams()) {
    auto pipeline = StreamPipeline::restore(settings_, stream);
    if (!pipeline) {
      error = "stream \"" + stream.stream() + "\": " + pipeline.error().message();
      return nullptr;
    }
    state->add(stream.stream(), std::move(*pipeline));
  }
  if (body.has_triage()) {
    auto desk = TriageDesk::restore(context_.triage, body.triage());
    if (!desk) {
      error = desk.error().message();
      return nullptr;
    }
    state->desk = std::move(*desk);
  }
  state->position = body.input_position();
  state->saved_position = state->position;
  return state;
}

state::v1::TenantState Worker::body_of(const std::string& tenant, const TenantState& state) const {
  state::v1::TenantState body;
  body.set_tenant(tenant);
  body.set_input_position(state.position);
  for (const auto& [name, slot] : state.streams) slot.pipeline->snapshot(name, *body.add_streams());
  if (state.desk) state.desk->snapshot(*body.mutable_triage());
  return body;
}

void Worker::apply_command(PartitionCommand& command) {
  std::vector<std::string> members;
  tenants_->for_each([&](std::string_view tenant, std::size_t, const std::unique_ptr<TenantState>&) {
    if (command.member(tenant)) members.emplace_back(tenant);
  });
  std::vector<TenantStateFile> states;
  switch (command.kind) {
    case PartitionCommand::Kind::snapshot:
      for (auto& tenant : members) {
        std::string bytes = encode_state_file(body_of(tenant, **tenants_->peek(tenant)), context_.fingerprint, wall_now_ns());
        states.push_back({std::move(tenant), std::move(bytes)});
      }
      break;
    case PartitionCommand::Kind::drop:
      for (const auto& tenant : members) {
        if (tenants_->erase(tenant)) metrics_.live_tenants().Decrement();
      }
      break;
    case PartitionCommand::Kind::install:
      for (const auto& [tenant, bytes] : command.states) {
        auto file = decode_state_file(bytes, nullptr, &context_.fingerprint);
        if (!file) {
          command.done.set_value(std::unexpected("a tenant's state: " + file.error().detail));
          return;
        }
        if (file->body.tenant() != tenant) {
          command.done.set_value(std::unexpected("the state listed as tenant \"" + escape_for_log(tenant) +
                                                 "\" holds tenant \"" + escape_for_log(file->body.tenant()) + "\""));
          return;
        }
        std::string error;
        auto state = state_from_body(file->body, error);
        if (!state) {
          command.done.set_value(std::unexpected("tenant \"" + file->body.tenant() + "\": " + error));
          return;
        }
        const bool known = tenants_->contains(file->body.tenant());
        if (auto inserted = tenants_->insert(file->body.tenant(), 0, std::move(state)); !inserted) {
          command.done.set_value(std::unexpected("tenant \"" + file->body.tenant() + "\": " + inserted.error().message()));
          return;
        }
        if (!known) metrics_.live_tenants().Increment();
      }
      break;
  }
  tenant_count_.store(tenants_->size(), std::memory_order_relaxed);
  command.done.set_value(std::move(states));
}

void Worker::schedule(const std::string& tenant, TenantState& state, std::int64_t now_ns) {
  const std::int64_t interval = context_.snapshot_interval.count();
  if (context_.store == nullptr || interval <= 0) return;
  const std::int64_t phase = snapshot_phase(tenant, interval);
  std::int64_t due = now_ns - (now_ns % interval) + phase;
  if (due <= now_ns) due += interval;
  state.next_snapshot_ns = due;
  due_.push(Due{due, tenant});
}

bool Worker::save(const std::string& tenant, TenantState& state, bool wait) {
  const auto started = std::chrono::steady_clock::now();
  const state::v1::TenantState body = body_of(tenant, state);
  std::string bytes = encode_state_file(body, context_.fingerprint, wall_now_ns());
  pass_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!context_.store->submit(tenant, std::move(bytes), wait)) return false;
  state.saved_position = state.position;
  state.desk_dirty = false;
  return true;
}

// At most one tenant per turn of the loop, so a pass never holds up scoring for long.
void Worker::snapshot_due(std::int64_t now_ns) {
  const std::int64_t interval = context_.snapshot_interval.count();
  if (interval > 0 && now_ns - pass_started_ns_ >= interval) {
    metrics_.state_pass_seconds(index_).Set(pass_seconds_);
    pass_seconds_ = 0.0;
    pass_started_ns_ = now_ns;
  }
  if (due_.empty() || due_.top().at_ns > now_ns) return;
  Due due = due_.top();
  due_.pop();
  const auto* entry = tenants_->peek(due.tenant);
  if (entry == nullptr || (*entry)->next_snapshot_ns != due.at_ns) return;  // evicted or rescheduled
  TenantState& state = **entry;
  std::int64_t next = due.at_ns + interval;
  if (state.dirty() && !save(due.tenant, state, false)) next = now_ns + SNAPSHOT_RETRY_NS;
  state.next_snapshot_ns = next;
  due_.push(Due{next, std::move(due.tenant)});
}

void Worker::snapshot_all() {
  if (context_.store == nullptr) return;
  std::vector<std::string> dirty;
  tenants_->for_each([&](std::string_view tenant, std::size_t, const std::unique_ptr<TenantState>& state) {
    if (state->dirty()) dirty.emplace_back(tenant);
  });
  for (const auto& tenant : dirty) save(tenant, **tenants_->peek(tenant), true);
  metrics_.state_pass_seconds(index_).Set(pass_seconds_);
}

void Worker::retune_all() {
  settings_generation_ = context_.settings->generation();
  settings_ = context_.settings->get();
  std::size_t failed = 0;
  tenants_->for_each([&](std::string_view, std::size_t, const std::unique_ptr<TenantState>& state) {
    for (auto& [name, slot] : state->streams) failed += slot.pipeline->retune(settings_) ? 0 : 1;
  });
  spdlog::info("event=worker_retuned worker={} tenants={} failed_streams={}", index_, tenants_->size(), failed);
}

std::pair<Worker::TenantState*, StreamPipeline*> Worker::pipeline_for(const WorkItem& item) {
  const bool known = tenants_->contains(item.tenant);
  // Widths are per stream, so the pool's per-key dimension is not used (0 for all).
  auto tenant = tenants_->get_or_create(item.tenant, 0);
  if (!tenant) {
    if (std::uint64_t suppressed = 0; refused_log_.allow(LogLimiter::Clock::now(), suppressed)) {
      spdlog::error("event=tenant_refused worker={} tenant=\"{}\" error=\"{}\" suppressed={}", index_,
                    escape_for_log(item.tenant), tenant.error().message(), suppressed);
    }
    return {nullptr, nullptr};
  }
  TenantState& state = ***tenant;
  if (!known) {
    metrics_.live_tenants().Increment();
    schedule(item.tenant, state, steady_now_ns());
  }
  tenant_count_.store(tenants_->size(), std::memory_order_relaxed);
  auto stream = state.streams.find(item.stream);
  if (stream != state.streams.end() && stream->second.pipeline->dimension() != item.values.size()) {
    // Ingest admits a stream's first observation with any width, and checks every later
    // one against it. A width other than this stream's means ingest forgot the stream
    // (tenants.max_streams, least recently seen first), so its name is free again: the
    // stream starts afresh at the new width rather than refuse what ingest accepted.
    state.bytes -= stream->second.bytes;
    state.streams.erase(stream);
    metrics_.tenant_streams_evicted().Increment();
    stream = state.streams.end();
  }
  if (stream != state.streams.end()) {
    StreamSlot& slot = stream->second;
    slot.last_used = ++state.clock;
    if (++slot.uses_since_measure == MEASURE_EVERY) {
      slot.uses_since_measure = 0;
      const std::size_t bytes = slot.pipeline->memory_bytes() + stream->first.capacity();
      state.bytes = state.bytes - slot.bytes + bytes;
      slot.bytes = bytes;
      if (state.bytes > context_.max_bytes_per_tenant) enforce_tenant_bounds(item.tenant, state, item.stream);
    }
    return {&state, slot.pipeline.get()};
  }
  auto pipeline = restore_stream(item.tenant, item.stream, item.values.size());
  if (!pipeline) {
    auto created = StreamPipeline::create(settings_, item.tenant, item.stream, item.values.size());
    if (!created) {
      if (std::uint64_t suppressed = 0; pipeline_error_log_.allow(LogLimiter::Clock::now(), suppressed)) {
        spdlog::error("event=pipeline_error tenant=\"{}\" stream=\"{}\" error=\"{}\" suppressed={}",
                      escape_for_log(item.tenant), escape_for_log(item.stream), created.error().message(), suppressed);
      }
      return {nullptr, nullptr};
    }
    pipeline = std::move(*created);
  }
  state.add(item.stream, std::move(pipeline));
  enforce_tenant_bounds(item.tenant, state, item.stream);
  return {&state, state.streams.at(item.stream).pipeline.get()};
}

std::unique_ptr<StreamPipeline> Worker::restore_stream(const std::string& tenant, const std::string& stream,
                                                       std::size_t dimension) {
  if (context_.store == nullptr) return nullptr;
  auto loaded = context_.store->load(stream_key(tenant, stream), context_.fingerprint);
  if (!loaded || loaded->file.body.streams_size() != 1) return nullptr;
  const auto& state = loaded->file.body.streams(0);
  // The name may have come back with another width after ingest forgot it: start fresh.
  if (state.stream() != stream || state.dimension() != dimension) return nullptr;
  auto pipeline = StreamPipeline::restore(settings_, state);
  if (!pipeline) {
    context_.store->quarantine(*loaded, StateProblem::bad_body, pipeline.error().message());
    return nullptr;
  }
  context_.store->count_restored();
  return std::move(*pipeline);
}

void Worker::enforce_tenant_bounds(const std::string& tenant, TenantState& state, const std::string& keep) {
  while (state.streams.size() > 1 &&
         (state.streams.size() > context_.max_streams_per_tenant || state.bytes > context_.max_bytes_per_tenant)) {
    auto victim = state.streams.end();
    for (auto it = state.streams.begin(); it != state.streams.end(); ++it) {
      if (it->first != keep && (victim == state.streams.end() || it->second.last_used < victim->second.last_used)) {
        victim = it;
      }
    }
    if (context_.store != nullptr) {
      state::v1::TenantState body;
      const std::string key = stream_key(tenant, victim->first);
      body.set_tenant(key);
      body.set_input_position(victim->second.pipeline->position());
      victim->second.pipeline->snapshot(victim->first, *body.add_streams());
      context_.store->submit(key, encode_state_file(body, context_.fingerprint, wall_now_ns()), true);
    }
    state.bytes -= victim->second.bytes;
    state.streams.erase(victim);
    metrics_.tenant_streams_evicted().Increment();
  }
}

Worker::Processed Worker::process(WorkItem& item) {
  auto [state, pipeline] = pipeline_for(item);
  if (pipeline == nullptr) {
    metrics_.rejected(RejectReason::no_capacity).Increment();
    return {};
  }
  const std::uint64_t clipped_before = pipeline->normalizer_clipped();
  auto outcome = pipeline->process(item);
  if (const std::uint64_t clipped = pipeline->normalizer_clipped() - clipped_before; clipped > 0) {
    metrics_.values_clipped().Increment(static_cast<double>(clipped));
  }
  if (!outcome) {
    // pipeline_for gave a pipeline of this width, so this is a defect, still counted.
    metrics_.rejected(RejectReason::dimension_mismatch).Increment();
    return {};
  }
  ++state->position;
  Processed done{.applied = true, .alerted = false};
  if (outcome->regime_change) {
    const RegimeChange& change = *outcome->regime_change;
    if (std::uint64_t suppressed = 0; regime_log_.allow(LogLimiter::Clock::now(), suppressed)) {
      spdlog::info(
          "event=score_regime_change tenant=\"{}\" stream=\"{}\" direction={} magnitude={:.2f} at={} suppressed={}",
          escape_for_log(item.tenant), escape_for_log(item.stream), change.up ? "up" : "down", change.magnitude,
          change.time_index, suppressed);
    }
  }
  if (outcome->alert) {
    raise(item.tenant, *state, std::move(*outcome->alert), item.ticket.get(), pipeline->position());
    done.alerted = true;
  } else if (outcome->echo) {
    metrics_.alert_echoes().Increment();
  }
  scored_.fetch_add(1, std::memory_order_relaxed);
  batch_.scored(static_cast<double>(steady_now_ns() - item.received_steady_ns) * 1e-9);
  return done;
}

void Worker::raise(const std::string& tenant, TenantState& state, v1::Alert alert, const ClusterTicket* ticket,
                   std::uint64_t position) {
  if (!state.desk) {
    auto desk = TriageDesk::create(context_.triage);
    if (desk) state.desk = std::move(*desk);
  }
  if (state.desk) {
    const auto* id = ticket != nullptr ? &ticket->alert_id : nullptr;
    if (auto triaged = state.desk->triage(alert, wall_now_ns(), id, position); !triaged) {
      // Only the key draw can fail: the alert goes out untriaged (named by the sink).
      if (std::uint64_t suppressed = 0; pipeline_error_log_.allow(LogLimiter::Clock::now(), suppressed)) {
        spdlog::error("event=triage_failed tenant=\"{}\" error=\"{}\" suppressed={}", escape_for_log(tenant),
                      triaged.error().message(), suppressed);
      }
    }
    state.desk_dirty = true;
  }
  if (ticket != nullptr && ticket->replay) {
    metrics_.cluster_alerts_muted().Increment();
    return;
  }
  if (alert.suppressed()) {
    metrics_.alerts_suppressed().Increment();
    hub_.publish_suppressed(std::move(alert));
    return;
  }
  hub_.publish(std::move(alert));
}

Worker::TenantState* Worker::tenant_for_request(const std::string& tenant, std::string& error) {
  // A tenant evicted from memory comes back from its state file; one never seen has no alerts.
  const bool known = tenants_->contains(tenant);
  if (!known && context_.store == nullptr) return nullptr;
  auto entry = tenants_->get_or_create(tenant, 0);
  if (!entry) {
    error = entry.error().message();
    return nullptr;
  }
  TenantState& state = ***entry;
  if (!known) {
    metrics_.live_tenants().Increment();
    schedule(tenant, state, steady_now_ns());
    tenant_count_.store(tenants_->size(), std::memory_order_relaxed);
  }
  return &state;
}

void Worker::apply_feedback(const std::string& tenant, FeedbackRequest& request) {
  FeedbackOutcome outcome;
  TenantState* state = tenant_for_request(tenant, outcome.error);
  if (!outcome.error.empty()) {
    outcome.kind = FeedbackOutcome::Kind::failed;
  } else if (state != nullptr && state->desk) {
    auto verdict = state->desk->verdict(request.key, request.label, request.now_ns);
    if (!verdict) {
      outcome.kind = FeedbackOutcome::Kind::failed;
      outcome.error = verdict.error().message();
    } else if (*verdict) {
      outcome.kind = FeedbackOutcome::Kind::recorded;
      outcome.verdict = std::move(**verdict);
      state->desk_dirty = true;
      // Verdicts are few and an analyst's work: written through, not left for the next
      // periodic snapshot (a full store queue leaves it to that snapshot).
      if (context_.store != nullptr) save(tenant, *state, false);
    }
  }
  request.done.set_value(std::move(outcome));
}

void Worker::apply_explain(const std::string& tenant, ExplainRequest& request) {
  ExplainOutcome outcome;
  TenantState* state = tenant_for_request(tenant, outcome.error);
  const auto found = state != nullptr && state->desk ? state->desk->lookup(request.key) : std::nullopt;
  if (!outcome.error.empty()) {
    outcome.kind = ExplainOutcome::Kind::failed;
  } else if (found) {
    outcome.stream = found->first;
    outcome.detector = found->second;
    const auto stream = state->streams.find(outcome.stream);
    if (stream == state->streams.end()) {
      outcome.kind = ExplainOutcome::Kind::failed;
      outcome.error = "the stream's model is not in memory (evicted by the tenant's bounds); it returns with its "
                      "next observation";
    } else {
      outcome.model = stream->second.pipeline->explain_model(request.rows, request.background);
      outcome.kind = outcome.model ? ExplainOutcome::Kind::found : ExplainOutcome::Kind::unsupported;
    }
  }
  request.done.set_value(std::move(outcome));
}

}  // namespace anomstream::daemon
