// AuditLog::open: where the chain continues, torn-tail recovery and key rotation at
// start (the rest of AuditLog is in audit_log.cpp).

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>

#include "anomstream/triage/audit_events.hpp"
#include "audit/audit_log.hpp"
#include "audit/audit_tail.hpp"

namespace anomstream::daemon {
namespace {

constexpr std::size_t ROTATION_DIGITS = 6;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The highest n of the `<path>.NNNNNN` files beside `path` (0 when there are none).
std::uint64_t highest_rotation(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string prefix = p.filename().string() + ".";
  std::uint64_t highest = 0;
  std::error_code ec;
  const auto dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
  for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = item.path().filename().string();
    if (!name.starts_with(prefix) || name.size() < prefix.size() + ROTATION_DIGITS) continue;
    const std::string_view digits = std::string_view(name).substr(prefix.size());
    std::uint64_t n = 0;
    const auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (err == std::errc() && ptr == digits.data() + digits.size()) highest = std::max(highest, n);
  }
  return highest;
}

// Writes the torn bytes to a new `<path>.torn-<unix seconds>[-k]` and syncs it; returns
// its file name.
std::expected<std::string, std::string> move_aside(const std::string& path, std::string_view torn) {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (int k = 0; k < 100; ++k) {
    const std::string side = fmt::format("{}.torn-{}", path, seconds) + (k == 0 ? "" : fmt::format("-{}", k));
    const int fd = ::open(side.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return std::unexpected(errno_text("cannot create \"" + side + "\""));
    std::size_t done = 0;
    while (done < torn.size()) {
      const ssize_t n = ::write(fd, torn.data() + done, torn.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    const bool ok = done == torn.size() && ::fsync(fd) == 0;
    const std::string what = ok ? std::string() : errno_text("cannot write \"" + side + "\"");
    ::close(fd);
    if (!ok) return std::unexpected(what);
    return std::filesystem::path(side).filename().string();
  }
  return std::unexpected("cannot find a free name for \"" + path + ".torn-" + std::to_string(seconds) + "\"");
}

struct Resumed {
  triage::AuditChain chain;
  bool under_previous_key = false;
};

// The chain continued after `last_line` of `source`, under the key or the previous key.
std::expected<Resumed, std::string> resume(const std::string& source, const AuditTail& tail, const AuditKey& key,
                                           const std::optional<AuditKey>& previous_key) {
  auto chain = triage::AuditChain::create(key);
  if (!chain) return std::unexpected("audit key: " + chain.error().bound);
  if (tail.good_bytes == 0) return Resumed{std::move(*chain), false};
  const auto entry = triage::parse_audit_line(tail.last_line);
  if (!entry) {
    return std::unexpected(fmt::format(
        "\"{}\": the line before its last is not an audit entry either ({}: {}); a crash leaves at most one torn "
        "line, so this log was damaged or is not an audit log; refusing to fork the chain",
        source, entry.error().field, entry.error().bound));
  }
  const auto resumed = chain->resume_after(tail.last_line);
  if (resumed) return Resumed{std::move(*chain), false};
  if (resumed.error().bound == "payload digest mismatch") {
    return std::unexpected(fmt::format(
        "\"{}\": its last entry (sequence {}) was altered (payload digest mismatch); refusing to fork the chain",
        source, entry->sequence));
  }
  std::string keys = fmt::format("the audit key (key id {})", triage::audit_key_id(key));
  if (previous_key) {
    auto old = triage::AuditChain::create(*previous_key);
    if (!old) return std::unexpected("audit.previous_key_file: " + old.error().bound);
    if (old->resume_after(tail.last_line)) return Resumed{std::move(*old), true};
    keys += fmt::format(" nor with audit.previous_key_file (key id {})", triage::audit_key_id(*previous_key));
  }
  return std::unexpected(fmt::format(
      "\"{}\": its last entry (sequence {}) does not verify with {}: the log was altered or the key is wrong; "
      "refusing to fork the chain",
      source, entry->sequence, keys));
}

}  // namespace

std::expected<std::unique_ptr<AuditLog>, std::string> AuditLog::open(const AuditSettings& settings,
                                                                     AuditHooks hooks) {
  auto key = load_audit_key(settings.key_file, settings.key_env);
  if (!key) return std::unexpected(key.error());
  std::optional<AuditKey> previous_key;
  if (!settings.previous_key_file.empty()) {
    auto previous = read_audit_key_file(settings.previous_key_file, "audit.previous_key_file");
    if (!previous) return std::unexpected(previous.error());
    previous_key = std::move(*previous);
  }
  const std::string& path = settings.path;
  auto tail = read_audit_tail(path);
  if (!tail) return std::unexpected("audit.path: " + tail.error());

  // A log with no complete entry (missing, empty, or only a torn line written just after
  // a rotation) continues the newest rotated file's chain.
  const std::uint64_t rotated = highest_rotation(path);
  std::string source = path;
  AuditTail from = *tail;
  if (tail->good_bytes == 0 && rotated > 0) {
    source = rotated_audit_path(path, rotated);
    auto rotated_tail = read_audit_tail(source);
    if (!rotated_tail) return std::unexpected("audit.path: " + rotated_tail.error());
    from = std::move(*rotated_tail);
  }
  auto resumed = resume(source, from, *key, previous_key);
  if (!resumed) return std::unexpected("audit.path " + resumed.error());

  auto file = AuditFile::open(path);
  if (!file) return std::unexpected("audit.path: " + file.error());
  std::optional<triage::AuditRecovery> recovery;
  if (!tail->torn.empty()) {
    // The torn bytes are safe in the side file before the log is cut back.
    auto side = move_aside(path, tail->torn);
    if (!side) return std::unexpected("audit.path: moving a torn last line aside: " + side.error());
    if (auto cut = file->truncate(tail->good_bytes); !cut) return std::unexpected("audit.path: " + cut.error());
    if (auto synced = file->sync(hooks.syscalls); !synced) return std::unexpected("audit.path: " + synced.error());
    recovery = triage::AuditRecovery{resumed->chain.next_sequence() - 1, tail->torn.size(), *side};
  }
  if (auto synced = sync_parent_directory(path); !synced) return std::unexpected("audit.path: " + synced.error());

  auto log = std::make_unique<AuditLog>(Token{}, settings, std::move(hooks), std::move(resumed->chain),
                                        std::move(*file), tail->good_bytes, rotated + 1);
  if (recovery) {
    if (!log->append(now_ns(), triage::AUDIT_KIND_RECOVERED, triage::audit_recovered_payload(*recovery))) {
      return std::unexpected(fmt::format("audit.path \"{}\": cannot record the recovery of a torn last line (moved "
                                         "to {}): the write failed",
                                         path, recovery->side_file));
    }
    spdlog::warn("event=audit_recovered path=\"{}\" torn_bytes={} side_file=\"{}\" last_good_sequence={}", path,
                 recovery->torn_bytes, recovery->side_file, recovery->last_good_sequence);
  }
  if (resumed->under_previous_key) {
    std::lock_guard lock(log->mutex_);
    const triage::AuditKeyRotation rotation{log->chain_.key_id(), triage::audit_key_id(*key)};
    if (!log->append_locked(now_ns(), triage::AUDIT_KIND_KEY_ROTATED, triage::key_rotated_payload(rotation))) {
      return std::unexpected(fmt::format("audit.path \"{}\": cannot record the key rotation: the write failed", path));
    }
    if (auto rekeyed = log->chain_.rekey(*key); !rekeyed) return std::unexpected("audit key: " + rekeyed.error().bound);
    spdlog::info("event=audit_key_rotated path=\"{}\" previous_key_id={} key_id={} sequence={}", path,
                 rotation.previous_key_id, rotation.new_key_id, log->chain_.next_sequence() - 1);
  }
  spdlog::info("event=audit_open path=\"{}\" next_sequence={} fsync={} rotate_bytes={}", path, log->next_sequence(),
               settings.fsync == AuditFsync::always   ? "always"
               : settings.fsync == AuditFsync::never ? "never"
                                                      : "interval",
               settings.rotate_bytes);
  return log;
}

}  // namespace anomstream::daemon
