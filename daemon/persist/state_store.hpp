#pragma once
// Where tenant state files live and how they get there (state.dir):
//   <dir>/LOCK                       held (flock) while a daemon uses the directory
//   <dir>/tenants/<id>.state         the latest generation; <id> = hex SHA-256 of the
//   <dir>/tenants/<id>.state.prev    tenant name (first 32 digits) and the previous one
//   <dir>/quarantine/<file>.<reason>.<unix ns>      files that failed a check
// Workers encode a tenant's state on their own thread and submit() the bytes; one writer
// thread writes them: temporary file, fsync, the current file renamed to .prev, the
// temporary renamed into place, fsync of the directory. A tenant submitted again
// before its write replaces the queued bytes (only the newest is written), and load()
// sees queued and in-flight bytes before the disk, so a tenant evicted and asked for
// again comes back with its newest state. A file that fails a check is moved to
// quarantine/ (counted by reason, logged once) and load() falls back to .prev, then to
// nothing: the tenant starts cold. Nothing here stops the daemon.
// Memory: the queued files, at most `queue_tenants` of them (each about the size of the
// tenant's detectors).
// Errors: open() fails when the directory cannot be created or is locked by another
// daemon; write errors (ENOSPC, EIO) are counted, logged rate-limited, and turn
// healthy() false until a write succeeds again; the previous files stay in place.

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "anomstream/core/siphash.hpp"
#include "persist/state_file.hpp"
#include "worker/log_limiter.hpp"

namespace anomstream::daemon {

// A state that passed every check, and the file it came from (empty when it was still
// queued in memory).
struct LoadedState {
  StateFile file;
  std::filesystem::path source;
};

struct StateStoreOptions {
  std::filesystem::path dir;
  std::size_t queue_tenants = 4096;
  SipKey index_key{};  // secret (draw_secret_key): the write queue's maps hash tenant names under it
};

class StateStore {
  struct Token {
    explicit Token() = default;
  };

 public:
  static std::expected<std::unique_ptr<StateStore>, std::string> open(const StateStoreOptions& options,
                                                                       prometheus::Registry& registry);
  StateStore(Token, const StateStoreOptions& options, int lock_fd, prometheus::Registry& registry);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Queues a tenant's encoded state file. With `wait` it blocks while the queue is full;
  // without, it returns false (the caller retries later) when full.
  bool submit(const std::string& tenant, std::string bytes, bool wait);
  // The tenant's newest state that passes every check of decode_state_file, or nullopt.
  std::optional<LoadedState> load(const std::string& tenant, const Fingerprint& fingerprint);
  // Moves a loaded file aside: restoring its body failed a detector's invariants.
  void quarantine(const LoadedState& loaded, StateProblem problem, const std::string& detail);
  // Blocks until every queued write has been attempted.
  void flush();
  [[nodiscard]] bool healthy() const;
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return options_.dir; }

  // The file name stem of a tenant.
  static std::string tenant_id(const std::string& tenant);

  void count_restored() { restored_->Increment(); }

 private:
  void run();
  bool write(const std::string& tenant, const std::string& bytes);
  std::optional<std::string> read_file(const std::filesystem::path& path);
  void move_aside(const std::filesystem::path& path, StateProblem problem, const std::string& detail);

  StateStoreOptions options_;
  int lock_fd_;
  int dir_fd_ = -1;
  std::filesystem::path tenants_;
  std::filesystem::path quarantine_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> order_;                             // tenants waiting, oldest first
  using ByTenant = std::unordered_map<std::string, std::string, KeyedStringHash, std::equal_to<>>;
  ByTenant pending_;    // tenant -> newest queued bytes
  ByTenant in_flight_;  // tenant -> bytes being written
  bool stopping_ = false;
  bool healthy_ = true;
  LogLimiter error_log_{10, std::chrono::seconds(10)};
  prometheus::Counter* written_ = nullptr;
  prometheus::Counter* written_bytes_ = nullptr;
  prometheus::Counter* restored_ = nullptr;
  prometheus::Counter* write_errors_ = nullptr;
  std::array<prometheus::Counter*, STATE_PROBLEM_COUNT> quarantined_{};
  prometheus::Gauge* queued_ = nullptr;
  std::thread writer_;
};

}  // namespace anomstream::daemon
