// AuditLog: one write per entry, failed writes that leave the chain intact, fsync modes,
// torn-tail recovery, refusal of altered logs, key rotation, size rotation and reopen.

#include <doctest/doctest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "anomstream/triage/audit_events.hpp"
#include "audit_test_support.hpp"

using namespace anomstream::daemon;
using namespace anomstream::daemon::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<AuditLog> open_log(const AuditSettings& settings, AuditHooks hooks = {}) {
  auto log = AuditLog::open(settings, std::move(hooks));
  INFO((log ? std::string() : log.error()));
  REQUIRE(log);
  return std::move(*log);
}

void append_alerts(AuditLog& log, int n) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(log.append(1000 + i, "alert", "{\"alert\":" + std::to_string(i) + ",\"pad\":\"" +
                                              std::string(200, 'p') + "\"}"));
  }
}

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline = 10s) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("each entry is a whole line in the file as soon as append returns") {
  AuditScratch scratch;
  auto log = open_log(scratch.settings(AuditFsync::never));
  append_alerts(*log, 3);
  // No flush, no close: nothing waits in a user-space buffer for a kill -9 to lose.
  const std::string text = read_file(scratch.log);
  CHECK(text.back() == '\n');
  CHECK(read_lines(scratch.log).size() == 3);
  CHECK(scratch.verify().ok());
  CHECK(log->next_sequence() == 4);
  CHECK(log->healthy());
}

TEST_CASE("a failed write leaves the chain where it was; later entries verify and health returns") {
  AuditScratch scratch;
  prometheus::Registry registry;
  auto& counter = prometheus::BuildCounter().Name("audit_write_errors_total").Register(registry).Add({});
  std::atomic<int> failures{0};
  std::atomic<int> error_number{ENOSPC};
  AuditHooks hooks;
  hooks.write_errors = &counter;
  hooks.syscalls.write = [&](int fd, const void* data, std::size_t size) -> ssize_t {
    if (failures > 0) {
      --failures;
      errno = error_number;
      return -1;
    }
    return ::write(fd, data, size);
  };
  auto log = open_log(scratch.settings(), hooks);
  append_alerts(*log, 1);

  failures = 2;
  CHECK_FALSE(log->append(2000, "alert", "{\"lost\":1}"));
  error_number = EIO;
  CHECK_FALSE(log->append(2001, "alert", "{\"lost\":2}"));
  CHECK_FALSE(log->healthy());
  CHECK(log->write_errors() == 2);
  CHECK(counter.Value() == 2);
  CHECK(log->next_sequence() == 2);  // the chain did not advance

  append_alerts(*log, 2);  // the disk has room again
  CHECK(log->healthy());
  const auto v = scratch.verify();
  INFO(v.problem());
  CHECK(v.ok());
  CHECK(v.entries_verified() == 3);
}

TEST_CASE("a short write is cut back, so the file never holds half a line") {
  AuditScratch scratch;
  std::atomic<bool> short_next{false};
  AuditHooks hooks;
  hooks.syscalls.write = [&](int fd, const void* data, std::size_t size) -> ssize_t {
    return ::write(fd, data, short_next.exchange(false) ? size / 2 : size);
  };
  auto log = open_log(scratch.settings(), hooks);
  append_alerts(*log, 1);
  const auto size_before = fs::file_size(scratch.log);
  short_next = true;
  CHECK_FALSE(log->append(2000, "alert", "{\"half\":true}"));
  CHECK(fs::file_size(scratch.log) == size_before);
  CHECK(log->next_sequence() == 2);
  CHECK(log->write_errors() == 1);
  append_alerts(*log, 1);
  CHECK(scratch.verify().ok());
  CHECK(scratch.verify().entries_verified() == 2);
}

TEST_CASE("writing to /dev/full fails with ENOSPC: counted, unhealthy, and the chain stays put") {
  if (!fs::exists("/dev/full")) {
    MESSAGE("no /dev/full here; skipped");
    return;
  }
  AuditScratch scratch;
  auto settings = scratch.settings(AuditFsync::never);
  settings.path = "/dev/full";
  auto log = open_log(settings);
  CHECK_FALSE(log->append(1, "alert", "{}"));
  CHECK_FALSE(log->append(2, "alert", "{}"));
  CHECK(log->write_errors() == 2);
  CHECK_FALSE(log->healthy());
  CHECK(log->next_sequence() == 1);
}

TEST_CASE("fsync always syncs every entry, interval within the interval, never not at all") {
  AuditScratch scratch;
  std::atomic<int> syncs{0};
  AuditHooks hooks;
  hooks.syscalls.datasync = [&](int fd) {
    ++syncs;
    return ::fdatasync(fd);
  };
  SUBCASE("always") {
    auto log = open_log(scratch.settings(AuditFsync::always), hooks);
    append_alerts(*log, 3);
    CHECK(syncs == 3);
  }
  SUBCASE("interval: the flusher syncs a written entry within about one interval") {
    auto settings = scratch.settings(AuditFsync::interval);
    settings.fsync_interval = 20ms;
    auto log = open_log(settings, hooks);
    append_alerts(*log, 3);
    CHECK(poll_until([&] { return syncs >= 1; }, 5s));
  }
  SUBCASE("interval: flush syncs what the flusher has not yet") {
    auto settings = scratch.settings(AuditFsync::interval);
    settings.fsync_interval = std::chrono::hours(1);
    auto log = open_log(settings, hooks);
    append_alerts(*log, 3);
    CHECK(syncs == 0);
    log->flush();
    CHECK(syncs == 1);
    log->flush();  // nothing new written: nothing to sync
    CHECK(syncs == 1);
  }
  SUBCASE("never") {
    auto log = open_log(scratch.settings(AuditFsync::never), hooks);
    append_alerts(*log, 3);
    log->flush();
    log.reset();
    CHECK(syncs == 0);
  }
}

TEST_CASE("a failed fsync is counted and the log unhealthy until an entry is written and synced again") {
  AuditScratch scratch;
  std::atomic<bool> fail_next{false};
  AuditHooks hooks;
  hooks.syscalls.datasync = [&](int fd) {
    if (fail_next.exchange(false)) {
      errno = EIO;
      return -1;
    }
    return ::fdatasync(fd);
  };
  auto log = open_log(scratch.settings(AuditFsync::always), hooks);
  fail_next = true;
  CHECK(log->append(1, "alert", "{}"));  // written, in the chain, but maybe not durable
  CHECK_FALSE(log->healthy());
  CHECK(log->write_errors() == 1);
  CHECK(log->append(2, "alert", "{}"));
  CHECK(log->healthy());
  CHECK(scratch.verify().entries_verified() == 2);
}

TEST_CASE("a torn last line is moved aside, the log cut back and the recovery recorded") {
  AuditScratch scratch;
  append_alerts(*open_log(scratch.settings()), 2);
  const std::string torn = "{\"seq\":3,\"time_ns\":17,\"kind\":\"al";
  append_bytes(scratch.log, torn);

  auto log = open_log(scratch.settings());
  CHECK(log->next_sequence() == 4);
  append_alerts(*log, 1);
  const auto lines = read_lines(scratch.log);
  REQUIRE(lines.size() == 4);
  CHECK(kind_of(lines[2]) == "audit_recovered");
  const auto v = scratch.verify();
  INFO(v.problem());
  CHECK(v.ok());
  REQUIRE(v.recoveries().size() == 1);
  const auto& recovery = v.recoveries()[0];
  CHECK(recovery.last_good_sequence == 2);
  CHECK(recovery.torn_bytes == torn.size());
  CHECK(recovery.side_file.starts_with("audit.log.torn-"));
  CHECK(read_file((scratch.dir.path() / recovery.side_file).string()) == torn);
}

TEST_CASE("zeros a power loss left after the last entry are recovered like a torn line") {
  AuditScratch scratch;
  append_alerts(*open_log(scratch.settings()), 2);
  append_bytes(scratch.log, std::string(300, '\0') + "\n" + std::string(50, '\0'));
  auto log = open_log(scratch.settings());
  CHECK(log->next_sequence() == 4);
  const auto v = scratch.verify();
  CHECK(v.ok());
  REQUIRE(v.recoveries().size() == 1);
  CHECK(v.recoveries()[0].torn_bytes == 351);
}

TEST_CASE("a log that is only a torn first line starts the chain at 1 and records it") {
  AuditScratch scratch;
  append_bytes(scratch.log, "{\"seq\":1,\"ti");
  auto log = open_log(scratch.settings());
  CHECK(log->next_sequence() == 2);
  const auto v = scratch.verify();
  CHECK(v.ok());
  REQUIRE(v.recoveries().size() == 1);
  CHECK(v.recoveries()[0].last_good_sequence == 0);
}

TEST_CASE("an altered last entry is tampering, not a torn tail: open refuses and touches nothing") {
  AuditScratch scratch;
  append_alerts(*open_log(scratch.settings()), 3);
  auto lines = read_lines(scratch.log);
  SUBCASE("its mac") {
    auto& mac = lines.back();
    const auto at = mac.find("\"mac\":\"") + 7;
    mac[at] = mac[at] == '0' ? '1' : '0';
  }
  SUBCASE("its payload") {
    const auto at = lines.back().find("alert\\\":2");
    REQUIRE(at != std::string::npos);
    lines.back()[at + 8] = '7';
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  scratch.dir.write("audit.log", text);

  auto refused = AuditLog::open(scratch.settings());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("its last entry (sequence 3)") != std::string::npos);
  CHECK(refused.error().find("refusing to fork the chain") != std::string::npos);
  CHECK(read_file(scratch.log) == text);
  for (const auto& item : fs::directory_iterator(scratch.dir.path())) {
    CHECK_FALSE(item.path().filename().string().starts_with("audit.log.torn-"));
  }
}

TEST_CASE("two lines that are not entries at the end are damage, not a crash: open refuses") {
  AuditScratch scratch;
  append_alerts(*open_log(scratch.settings()), 2);
  append_bytes(scratch.log, "edited by hand\nand again\n");
  auto refused = AuditLog::open(scratch.settings());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("the line before its last is not an audit entry either") != std::string::npos);
}

TEST_CASE("a log written under another key refuses to start, naming the key ids it tried") {
  AuditScratch scratch;
  append_alerts(*open_log(scratch.settings()), 1);
  auto settings = scratch.settings();
  settings.key_file = write_key(scratch.dir, "other.key", "some-other-key-0123456789");
  settings.previous_key_file = write_key(scratch.dir, "older.key", "an-even-older-key-0123456789");
  auto refused = AuditLog::open(settings);
  REQUIRE_FALSE(refused);
  const auto other_id = anomstream::triage::audit_key_id(bytes_of("some-other-key-0123456789"));
  const auto older_id = anomstream::triage::audit_key_id(bytes_of("an-even-older-key-0123456789"));
  CHECK(refused.error().find("does not verify with the audit key (key id " + other_id +
                             ") nor with audit.previous_key_file (key id " + older_id + ")") != std::string::npos);
}

TEST_CASE("key rotation: the old key MACs a key_rotated entry naming the new key, which MACs the rest") {
  AuditScratch scratch;
  append_alerts(*open_log(scratch.settings()), 2);
  const std::string new_key_text = "the-new-audit-key-0123456789";
  auto settings = scratch.settings();
  settings.previous_key_file = scratch.key;
  settings.key_file = write_key(scratch.dir, "new.key", new_key_text);
  append_alerts(*open_log(settings), 1);
  append_alerts(*open_log(settings), 1);  // already rotated: no second key_rotated entry

  const auto lines = read_lines(scratch.log);
  REQUIRE(lines.size() == 5);
  CHECK(kind_of(lines[2]) == "key_rotated");
  const auto old_key = bytes_of(scratch.key_text);
  const auto new_key = bytes_of(new_key_text);
  const auto both = verify_files({scratch.log}, {new_key, old_key});
  INFO(both.problem());
  CHECK(both.ok());
  CHECK(both.entries_verified() == 5);
  REQUIRE(both.key_rotations().size() == 1);
  CHECK(both.key_rotations()[0].sequence == 3);
  CHECK(both.key_rotations()[0].rotation.previous_key_id == anomstream::triage::audit_key_id(old_key));
  CHECK(both.key_rotations()[0].rotation.new_key_id == anomstream::triage::audit_key_id(new_key));
  CHECK(verify_files({scratch.log}, {old_key}).first_bad_line() == 3);
  CHECK(verify_files({scratch.log}, {new_key}).first_bad_line() == 1);
  const std::string text = read_file(scratch.log);
  CHECK(text.find(new_key_text) == std::string::npos);
}

TEST_CASE("size rotation: files are renamed to <path>.NNNNNN before they would pass rotate_bytes, one chain across") {
  AuditScratch scratch;
  auto settings = scratch.settings();
  settings.rotate_bytes = 2000;  // an entry here is about 550 bytes: three per file
  append_alerts(*open_log(settings), 10);
  std::vector<std::string> files;
  for (std::uint64_t n = 1; fs::exists(rotated_audit_path(scratch.log, n)); ++n) {
    files.push_back(rotated_audit_path(scratch.log, n));
    CHECK(fs::file_size(files.back()) <= settings.rotate_bytes);
    // Full: one more entry would have passed the bound.
    CHECK(fs::file_size(files.back()) + read_lines(files.back()).front().size() + 1 > settings.rotate_bytes);
  }
  REQUIRE(files.size() >= 2);
  CHECK(files[0] == scratch.log + ".000001");
  const std::uint64_t rotated = files.size();
  files.push_back(scratch.log);
  const auto v = scratch.verify(files);
  INFO(v.problem());
  CHECK(v.ok());
  CHECK(v.entries_verified() == 10);
  CHECK(scratch.verify({files[1], files[2]}).problem().starts_with("missing entry: expected sequence 1, found "));

  SUBCASE("a restart after the rename, before the new file's first entry, continues the newest rotated file") {
    fs::rename(scratch.log, rotated_audit_path(scratch.log, rotated + 1));
    files.back() = rotated_audit_path(scratch.log, rotated + 1);
    auto log = open_log(settings);
    CHECK(log->next_sequence() == 11);
    append_alerts(*log, 1);
    log.reset();
    files.push_back(scratch.log);
    CHECK(scratch.verify(files).entries_verified() == 11);
    CHECK(scratch.verify(files).ok());
  }
  SUBCASE("an existing file is never overwritten by a rotation") {
    const std::string squatter = rotated_audit_path(scratch.log, rotated + 1);
    auto log = open_log(settings);
    scratch.dir.write(fs::path(squatter).filename().string(), "someone else's file\n");  // appears meanwhile
    append_alerts(*log, 6);
    CHECK(read_file(squatter) == "someone else's file\n");
    CHECK(fs::exists(rotated_audit_path(scratch.log, rotated + 2)));
  }
}

TEST_CASE("reopen after logrotate moved the file continues the chain in the new file") {
  AuditScratch scratch;
  auto log = open_log(scratch.settings());
  append_alerts(*log, 2);
  REQUIRE(log->reopen());  // nothing moved: the same file
  const std::string moved = scratch.log + ".1";
  fs::rename(scratch.log, moved);
  SUBCASE("the path is gone") {}
  SUBCASE("the path is a new empty file") { scratch.dir.write("audit.log", ""); }
  REQUIRE(log->reopen());
  append_alerts(*log, 2);
  CHECK(read_lines(moved).size() == 2);
  CHECK(read_lines(scratch.log).size() == 2);
  const auto v = scratch.verify({moved, scratch.log});
  CHECK(v.ok());
  CHECK(v.entries_verified() == 4);
}

TEST_CASE("reopen refuses a file that does not continue this chain and keeps writing to the old one") {
  AuditScratch scratch;
  auto log = open_log(scratch.settings());
  append_alerts(*log, 2);
  const std::string moved = scratch.log + ".1";
  fs::rename(scratch.log, moved);
  scratch.dir.write("audit.log", "not this chain\n");
  auto refused = log->reopen();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("does not end with this chain's last entry (sequence 2)") != std::string::npos);
  append_alerts(*log, 1);
  CHECK(read_lines(moved).size() == 3);
  CHECK(read_file(scratch.log) == "not this chain\n");
}

TEST_CASE("entries appended from several threads are whole lines of one chain") {
  AuditScratch scratch;
  auto settings = scratch.settings(AuditFsync::interval);
  settings.fsync_interval = 1ms;
  settings.rotate_bytes = 50000;
  auto log = open_log(settings);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 100; ++i) log->append(i, "alert", "{\"thread\":" + std::to_string(t) + "}");
    });
  }
  for (auto& thread : threads) thread.join();
  log.reset();
  std::vector<std::string> files;
  for (std::uint64_t n = 1; fs::exists(rotated_audit_path(scratch.log, n)); ++n) {
    files.push_back(rotated_audit_path(scratch.log, n));
  }
  files.push_back(scratch.log);
  const auto v = scratch.verify(files);
  INFO(v.problem());
  CHECK(v.ok());
  CHECK(v.entries_verified() == 400);
}
