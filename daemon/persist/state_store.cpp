#include "persist/state_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/clock.hpp"

namespace anomstream::daemon {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

// Writes all of `bytes` to a new file and fsyncs it; false with errno set on failure.
bool write_synced(const std::filesystem::path& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      errno = error;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return false;
  }
  return ::close(fd) == 0;
}

}  // namespace

std::expected<std::unique_ptr<StateStore>, std::string> StateStore::open(const StateStoreOptions& options,
                                                                         prometheus::Registry& registry) {
  std::error_code ec;
  for (const char* sub : {"tenants", "quarantine"}) {
    std::filesystem::create_directories(options.dir / sub, ec);
    if (ec) return std::unexpected("state.dir: cannot create \"" + (options.dir / sub).string() + "\": " + ec.message());
  }
  ::chmod(options.dir.c_str(), 0700);
  const auto lock_path = options.dir / "LOCK";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return std::unexpected("state.dir: cannot open \"" + lock_path.string() + "\": " + errno_text(errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(lock_fd);
    return std::unexpected("state.dir: \"" + options.dir.string() + "\" is in use by another anomstreamd (" +
                           errno_text(error) + ")");
  }
  auto store = std::make_unique<StateStore>(Token{}, options, lock_fd, registry);
  if (store->dir_fd_ < 0) return std::unexpected("state.dir: cannot open \"" + options.dir.string() + "/tenants\"");
  return store;
}

StateStore::StateStore(Token, const StateStoreOptions& options, int lock_fd, prometheus::Registry& registry)
    : options_(options),
      lock_fd_(lock_fd),
      tenants_(options.dir / "tenants"),
      quarantine_(options.dir / "quarantine"),
      pending_(0, KeyedStringHash{options.index_key}),
      in_flight_(0, KeyedStringHash{options.index_key}) {
  dir_fd_ = ::open(tenants_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  written_ = &prometheus::BuildCounter()
                  .Name("anomstream_state_snapshots_written_total")
                  .Help("Tenant state files written (periodic, eviction and shutdown snapshots)")
                  .Register(registry)
                  .Add({});
  written_bytes_ = &prometheus::BuildCounter()
                        .Name("anomstream_state_written_bytes_total")
                        .Help("Bytes of tenant state files written")
                        .Register(registry)
                        .Add({});
  restored_ = &prometheus::BuildCounter()
                   .Name("anomstream_state_restored_total")
                   .Help("Tenants restored from a state file")
                   .Register(registry)
                   .Add({});
  write_errors_ = &prometheus::BuildCounter()
                       .Name("anomstream_state_write_errors_total")
                       .Help("State files that could not be written (the previous file stays)")
                       .Register(registry)
                       .Add({});
  auto& quarantined = prometheus::BuildCounter()
                          .Name("anomstream_state_quarantined_total")
                          .Help("State files moved to quarantine/ instead of being restored, by reason")
                          .Register(registry);
  for (std::size_t p = 0; p < STATE_PROBLEM_COUNT; ++p) {
    quarantined_[p] = &quarantined.Add({{"reason", std::string(to_string(static_cast<StateProblem>(p)))}});
  }
  queued_ = &prometheus::BuildGauge()
                 .Name("anomstream_state_queued_tenants")
                 .Help("Tenant state files waiting for the writer")
                 .Register(registry)
                 .Add({});
  writer_ = std::thread([this] { run(); });
}

StateStore::~StateStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (dir_fd_ >= 0) ::close(dir_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string StateStore::tenant_id(const std::string& tenant) {
  return to_hex(sha256(tenant)).substr(0, 32);
}

bool StateStore::submit(const std::string& tenant, std::string bytes, bool wait) {
  std::unique_lock lock(mutex_);
  if (auto it = pending_.find(tenant); it != pending_.end()) {
    it->second = std::move(bytes);  // only the newest state of a tenant is worth writing
    return true;
  }
  if (wait) {
    changed_.wait(lock, [&] { return stopping_ || pending_.size() < options_.queue_tenants; });
  }
  if (pending_.size() >= options_.queue_tenants) return false;
  pending_.emplace(tenant, std::move(bytes));
  order_.push_back(tenant);
  queued_->Set(static_cast<double>(pending_.size()));
  lock.unlock();
  changed_.notify_all();
  return true;
}

void StateStore::flush() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return order_.empty() && in_flight_.empty(); });
}

bool StateStore::healthy() const {
  std::lock_guard lock(mutex_);
  return healthy_;
}

void StateStore::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !order_.empty(); });
    if (order_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::string tenant = std::move(order_.front());
    order_.pop_front();
    auto node = pending_.extract(tenant);
    auto& bytes = in_flight_.emplace(tenant, std::move(node.mapped())).first->second;
    queued_->Set(static_cast<double>(pending_.size()));
    lock.unlock();
    changed_.notify_all();  // room in the queue
    const bool ok = write(tenant, bytes);
    lock.lock();
    in_flight_.erase(tenant);
    healthy_ = ok;
    changed_.notify_all();  // flush() waiters
  }
}

bool StateStore::write(const std::string& tenant, const std::string& bytes) {
  const std::string id = tenant_id(tenant);
  const auto path = tenants_ / (id + ".state");
  const auto prev = tenants_ / (id + ".state.prev");
  const auto tmp = tenants_ / (id + ".state.tmp");
  const auto failed = [&](const char* step) {
    const int error = errno;
    ::unlink(tmp.c_str());
    write_errors_->Increment();
    std::uint64_t suppressed = 0;
    if (error_log_.allow(LogLimiter::Clock::now(), suppressed)) {
      spdlog::error("event=state_write_error file=\"{}\" step={} error=\"{}\" suppressed={}", path.string(), step,
                    errno_text(error), suppressed);
    }
    return false;
  };
  if (!write_synced(tmp, bytes)) return failed("write");
  if (::rename(path.c_str(), prev.c_str()) != 0 && errno != ENOENT) return failed("keep_previous");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed("rename");
  if (dir_fd_ >= 0 && ::fsync(dir_fd_) != 0) return failed("fsync_dir");
  written_->Increment();
  written_bytes_->Increment(static_cast<double>(bytes.size()));
  return true;
}

std::optional<std::string> StateStore::read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

void StateStore::move_aside(const std::filesystem::path& path, StateProblem problem, const std::string& detail) {
  const auto target = quarantine_ / (path.filename().string() + "." + std::string(to_string(problem)) + "." +
                                     std::to_string(wall_now_ns()));
  std::error_code ec;
  std::filesystem::rename(path, target, ec);
  quarantined_[static_cast<std::size_t>(problem)]->Increment();
  spdlog::warn("event=state_quarantined file=\"{}\" moved_to=\"{}\" reason={} detail=\"{}\"{}", path.string(),
               target.string(), to_string(problem), detail, ec ? " move_error=\"" + ec.message() + "\"" : "");
  if (ec) std::filesystem::remove(path, ec);  // never offer a bad file twice
}

std::optional<LoadedState> StateStore::load(const std::string& tenant, const Fingerprint& fingerprint) {
  {
    std::lock_guard lock(mutex_);
    const std::string* bytes = nullptr;
    if (auto it = pending_.find(tenant); it != pending_.end()) bytes = &it->second;
    else if (auto in = in_flight_.find(tenant); in != in_flight_.end()) bytes = &in->second;
    if (bytes != nullptr) {
      if (auto file = decode_state_file(*bytes, &tenant, &fingerprint)) return LoadedState{std::move(*file), {}};
      return std::nullopt;  // cannot happen for bytes this daemon encoded under this config
    }
  }
  const std::string id = tenant_id(tenant);
  for (const auto& path : {tenants_ / (id + ".state"), tenants_ / (id + ".state.prev")}) {
    auto bytes = read_file(path);
    if (!bytes) continue;
    auto file = decode_state_file(*bytes, &tenant, &fingerprint);
    if (file) return LoadedState{std::move(*file), path};
    move_aside(path, file.error().problem, file.error().detail);
  }
  return std::nullopt;
}

void StateStore::quarantine(const LoadedState& loaded, StateProblem problem, const std::string& detail) {
  std::error_code ec;
  if (!loaded.source.empty() && std::filesystem::exists(loaded.source, ec)) move_aside(loaded.source, problem, detail);
}

}  // namespace anomstream::daemon
