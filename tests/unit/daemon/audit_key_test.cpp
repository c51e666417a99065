// Reading the audit key: owner-only key files, the environment, clear refusals.

#include <doctest/doctest.h>

#include <cstdlib>

#include "audit_test_support.hpp"

using namespace anomstream::daemon;
using namespace anomstream::daemon::test;
namespace fs = std::filesystem;

TEST_CASE("a key file its group or others may read is refused, naming the file and its mode") {
  TempDir dir;
  const auto group = write_key(dir, "group.key", "a-key-of-sixteen-bytes-or-more",
                               OWNER_ONLY | fs::perms::group_read);
  auto refused = read_audit_key_file(group, "audit.key_file");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("audit.key_file: \"" + group + "\" has mode 0640") == 0);
  CHECK(refused.error().find("chmod 600") != std::string::npos);

  const auto world = write_key(dir, "world.key", "a-key-of-sixteen-bytes-or-more",
                               fs::perms::owner_read | fs::perms::others_read);
  auto world_refused = read_audit_key_file(world, "--key-file");
  REQUIRE_FALSE(world_refused);
  CHECK(world_refused.error().find("--key-file: \"" + world + "\" has mode 0404") == 0);
}

TEST_CASE("an owner-only key file is read without its trailing newline") {
  TempDir dir;
  for (const auto perms : {OWNER_ONLY, fs::perms::owner_read}) {
    const auto path = write_key(dir, "ok.key", "a-key-of-sixteen-bytes\r\n", perms);
    auto key = read_audit_key_file(path, "audit.key_file");
    REQUIRE(key);
    CHECK(*key == bytes_of("a-key-of-sixteen-bytes"));
  }
}

TEST_CASE("a missing key file, an unset variable and no key at all are named") {
  auto missing = load_audit_key("/nonexistent/audit.key", "");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().starts_with("audit.key_file: cannot read \"/nonexistent/audit.key\""));
  auto unset = load_audit_key("", "ANOMSTREAM_TEST_SURELY_UNSET_VARIABLE");
  REQUIRE_FALSE(unset);
  CHECK(unset.error() == "audit.key_env: environment variable ANOMSTREAM_TEST_SURELY_UNSET_VARIABLE is not set");
  CHECK_FALSE(load_audit_key("", ""));
}

TEST_CASE("the key can come from the environment") {
  ::setenv("ANOMSTREAM_TEST_AUDIT_KEY", "key-from-the-environment", 1);
  auto key = load_audit_key("", "ANOMSTREAM_TEST_AUDIT_KEY");
  ::unsetenv("ANOMSTREAM_TEST_AUDIT_KEY");
  REQUIRE(key);
  CHECK(*key == bytes_of("key-from-the-environment"));
}

TEST_CASE("the daemon's audit log refuses a group-readable key or previous key") {
  AuditScratch scratch;
  fs::permissions(scratch.key, OWNER_ONLY | fs::perms::group_read);
  auto refused = AuditLog::open(scratch.settings());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("has mode 0640") != std::string::npos);
  CHECK_FALSE(fs::exists(scratch.log));

  fs::permissions(scratch.key, OWNER_ONLY);
  auto settings = scratch.settings();
  settings.previous_key_file = write_key(scratch.dir, "old.key", "the-old-key-0123456789", fs::perms::all);
  auto previous_refused = AuditLog::open(settings);
  REQUIRE_FALSE(previous_refused);
  CHECK(previous_refused.error().starts_with("audit.previous_key_file: \"" + settings.previous_key_file +
                                             "\" has mode 0777"));
}
