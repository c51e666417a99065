#pragma once
// What a partition's consumer (cluster/partition_runner.hpp) hands the workers besides
// plain observations: a ticket on each message it delivers, so it acknowledges the
// message to JetStream only after a worker applied it, and commands that move a whole
// partition's tenants in and out of the workers at a hand-off.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace anomstream::daemon {

// Counts down the messages of one fetched batch as workers finish them.
class BatchLatch {
 public:
  explicit BatchLatch(std::size_t count) : remaining_(count) {}
  // `applied`: the worker applied the message to its model (false: it was dropped at a
  // stop deadline or refused, and must not be acknowledged).
  void done(bool applied, bool alerted) {
    std::lock_guard lock(mutex_);
    failed_ = failed_ || !applied;
    alerted_ = alerted_ || alerted;
    if (--remaining_ == 0) finished_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return remaining_ == 0; });
  }
  [[nodiscard]] bool failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
  }
  [[nodiscard]] bool alerted() const {
    std::lock_guard lock(mutex_);
    return alerted_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  std::size_t remaining_;
  bool failed_ = false;
  bool alerted_ = false;
};

// One JetStream message on its way through a worker.
struct ClusterTicket {
  std::uint64_t sequence = 0;      // the stream sequence
  std::array<std::uint8_t, 16> alert_id{};  // its alert's id (after the tenant's "/"), the same on every instance
  bool replay = false;             // a hand-off replay: applied, its alert muted
  std::shared_ptr<BatchLatch> latch;
};

// A partition-wide request to one worker, answered through `done`.
// One tenant's state as a state file, with the tenant's name.
struct TenantStateFile {
  std::string tenant;
  std::string bytes;
};

struct PartitionCommand {
  enum class Kind : std::uint8_t {
    snapshot,  // encode every tenant of the partition (answered with their state files)
    install,   // replace the tenants in `states` with them
    drop,      // forget every tenant of the partition
  };
  Kind kind = Kind::snapshot;
  std::function<bool(std::string_view tenant)> member;  // whether a tenant is in the partition
  std::vector<TenantStateFile> states;
  std::promise<std::expected<std::vector<TenantStateFile>, std::string>> done;
};

}  // namespace anomstream::daemon
