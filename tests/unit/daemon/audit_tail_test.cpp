// How read_audit_tail tells a torn last line from the entries before it.

#include <doctest/doctest.h>

#include "anomstream/triage/audit_chain.hpp"
#include "audit/audit_tail.hpp"
#include "audit_test_support.hpp"

using namespace anomstream::daemon;
using namespace anomstream::daemon::test;

namespace {

std::string entries(int n, std::size_t payload_bytes = 10) {
  auto chain = anomstream::triage::AuditChain::create(bytes_of("tail-test-key-0123456789"));
  REQUIRE(chain);
  std::string text;
  for (int i = 0; i < n; ++i) {
    auto line = chain->append(i, "alert", std::string(payload_bytes, 'x'));
    REQUIRE(line);
    text += *line + "\n";
  }
  return text;
}

AuditTail tail_of(const TempDir& dir, std::string_view text) {
  auto tail = read_audit_tail(dir.write("audit.log", text).string());
  REQUIRE(tail);
  return *tail;
}

}  // namespace

TEST_CASE("a missing or empty log has nothing to keep and nothing torn") {
  TempDir dir;
  auto missing = read_audit_tail((dir.path() / "nope.log").string());
  REQUIRE(missing);
  CHECK(missing->size == 0);
  const auto empty = tail_of(dir, "");
  CHECK(empty.good_bytes == 0);
  CHECK(empty.torn.empty());
}

TEST_CASE("a log ending in a complete entry keeps everything") {
  TempDir dir;
  const std::string text = entries(3);
  const auto tail = tail_of(dir, text);
  CHECK(tail.good_bytes == text.size());
  CHECK(tail.torn.empty());
  CHECK(anomstream::triage::parse_audit_line(tail.last_line)->sequence == 3);
}

TEST_CASE("bytes after the last newline are torn, even a whole entry without its newline") {
  TempDir dir;
  const std::string good = entries(2);
  const std::string third = entries(3).substr(good.size());
  for (const std::size_t cut : {std::size_t{1}, third.size() / 2, third.size() - 1}) {
    const auto tail = tail_of(dir, good + third.substr(0, cut));
    CHECK(tail.good_bytes == good.size());
    CHECK(tail.torn == third.substr(0, cut));
    CHECK(anomstream::triage::parse_audit_line(tail.last_line)->sequence == 2);
  }
}

TEST_CASE("a complete last line that is not an entry (zeros after a power loss) is torn with what follows") {
  TempDir dir;
  const std::string good = entries(2);
  const std::string zeros(100, '\0');
  const auto tail = tail_of(dir, good + zeros + "\n" + zeros);
  CHECK(tail.good_bytes == good.size());
  CHECK(tail.torn.size() == 201);
}

TEST_CASE("the line before an unparseable last line is what is kept, whatever it is") {
  TempDir dir;
  const auto tail = tail_of(dir, entries(1) + "edited\ngarbage\n{\"seq\":");
  CHECK(tail.last_line == "edited");  // the caller refuses: not something a crash leaves
  CHECK(tail.torn == "garbage\n{\"seq\":");
}

TEST_CASE("a torn first line leaves nothing to keep") {
  TempDir dir;
  const auto fragment = tail_of(dir, "{\"seq\":1,\"ti");
  CHECK(fragment.good_bytes == 0);
  CHECK(fragment.torn == "{\"seq\":1,\"ti");
  const auto line = tail_of(dir, "{\"seq\":1,\"ti\n");
  CHECK(line.good_bytes == 0);
  CHECK(line.last_line.empty());
}

TEST_CASE("lines longer than the first 64 KiB window are read whole") {
  TempDir dir;
  const std::string good = entries(3, 150000);
  const auto clean = tail_of(dir, good);
  CHECK(clean.good_bytes == good.size());
  CHECK(anomstream::triage::parse_audit_line(clean.last_line)->sequence == 3);
  const auto torn = tail_of(dir, good + std::string(100000, 'z'));
  CHECK(torn.good_bytes == good.size());
  CHECK(torn.torn.size() == 100000);
}
