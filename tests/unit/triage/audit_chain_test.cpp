#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "anomstream/triage/audit_chain.hpp"
#include "anomstream/triage/audit_verifier.hpp"
#include "byte_text.hpp"

using anomstream::test::bytes_of;
using anomstream::triage::AuditChain;
using anomstream::triage::AuditVerifier;

namespace {

const auto KEY = bytes_of("0123456789abcdef-test-key");

std::vector<std::string> make_log(int n) {
  auto chain = AuditChain::create(KEY);
  REQUIRE(chain);
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    auto line = chain->append(1000 + i, i == 0 ? "config_load" : "alert",
                              "{\"tenant\":\"t" + std::to_string(i) + "\",\"score\":" +
                                  std::to_string(i) + "}");
    REQUIRE(line);
    lines.push_back(*line);
  }
  return lines;
}

AuditVerifier verify(const std::vector<std::string>& lines, const std::vector<std::byte>& key = KEY) {
  auto verifier = AuditVerifier::create(key);
  REQUIRE(verifier);
  for (const auto& line : lines) verifier->feed(line);
  return *verifier;
}

}  // namespace

TEST_CASE("an untouched chain verifies and counts every entry") {
  const auto lines = make_log(20);
  const auto v = verify(lines);
  CHECK(v.ok());
  CHECK(v.entries_verified() == 20);
  CHECK(v.last_sequence() == 20);
}

TEST_CASE("flipping any single byte of any entry is reported at that entry") {
  const auto lines = make_log(8);
  int detected = 0, trials = 0;
  for (std::size_t line = 0; line < lines.size(); ++line) {
    for (std::size_t pos = 0; pos < lines[line].size(); pos += 7) {
      auto tampered = lines;
      tampered[line][pos] = static_cast<char>(tampered[line][pos] ^ 0x01);
      const auto v = verify(tampered);
      ++trials;
      if (!v.ok() && v.first_bad_line() == line + 1) ++detected;
    }
  }
  CHECK(trials > 100);
  CHECK(detected == trials);
}

TEST_CASE("a deleted entry is reported as missing at the following line") {
  auto lines = make_log(10);
  lines.erase(lines.begin() + 4);
  const auto v = verify(lines);
  CHECK_FALSE(v.ok());
  CHECK(v.first_bad_line() == 5);
  CHECK(v.problem() == "missing entry: expected sequence 5, found 6");
}

TEST_CASE("swapped entries and a replaced payload are reported") {
  auto swapped = make_log(6);
  std::swap(swapped[2], swapped[3]);
  CHECK(verify(swapped).first_bad_line() == 3);

  // A forger without the key rewrites entry 2's payload with a consistent digest (they
  // can compute SHA-256) and chains it to entry 1, but cannot produce the MAC.
  auto lines = make_log(3);
  auto forger = AuditChain::create(bytes_of("forger-key-0123456789"));
  REQUIRE(forger);
  auto ignored = forger->append(1000, "config_load", "{}");
  REQUIRE(ignored);
  auto forged = forger->append(1001, "alert", "{\"tenant\":\"innocent\"}");
  REQUIRE(forged);
  lines[1] = *forged;
  const auto v = verify(lines);
  CHECK_FALSE(v.ok());
  CHECK(v.first_bad_line() == 2);
  CHECK(v.problem() == "previous-mac mismatch at sequence 2");

  // The same log checked with the wrong key fails at its first entry.
  const auto wrong = verify(make_log(3), bytes_of("another-key-0123456789"));
  CHECK(wrong.first_bad_line() == 1);
  CHECK(wrong.problem() == "mac mismatch at sequence 1");
}

TEST_CASE("resume_after continues the chain across restarts") {
  auto lines = make_log(5);
  auto chain = AuditChain::create(KEY);
  REQUIRE(chain);
  REQUIRE(chain->resume_after(lines.back()));
  CHECK(chain->next_sequence() == 6);
  auto next = chain->append(9999, "stop", "{}");
  REQUIRE(next);
  lines.push_back(*next);
  const auto v = verify(lines);
  CHECK(v.ok());
  CHECK(v.entries_verified() == 6);
}

TEST_CASE("a prepared entry joins the chain only when committed") {
  auto chain = AuditChain::create(KEY);
  REQUIRE(chain);
  auto first = chain->prepare(1, "alert", "{}");
  REQUIRE(first);
  CHECK(chain->next_sequence() == 1);  // a write that fails never commits: nothing moved

  auto again = chain->prepare(2, "alert", "{\"retry\":1}");
  REQUIRE(again);
  CHECK(again->sequence == 1);
  CHECK(chain->commit(*again));
  CHECK(chain->next_sequence() == 2);
  CHECK(chain->head_mac() == again->mac);
  CHECK_FALSE(chain->commit(*first));  // stale: prepared before the chain moved
  CHECK(chain->next_sequence() == 2);

  auto next = chain->append(3, "alert", "{}");
  REQUIRE(next);
  CHECK(verify({again->line, *next}).ok());
}

TEST_CASE("rekey MACs later entries under the new key and keeps the head") {
  auto chain = AuditChain::create(KEY);
  REQUIRE(chain);
  REQUIRE(chain->append(1, "config_load", "{}"));
  const auto head = chain->head_mac();
  const auto new_key = bytes_of("the-next-key-0123456789");
  CHECK_FALSE(chain->rekey(bytes_of("short")));
  REQUIRE(chain->rekey(new_key));
  CHECK(chain->head_mac() == head);
  CHECK(chain->key_id() == anomstream::triage::audit_key_id(new_key));
}

TEST_CASE("a key id is 16 hex digits of the key's SHA-256 and tells keys apart") {
  const auto id = anomstream::triage::audit_key_id(KEY);
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id == anomstream::triage::audit_key_id(bytes_of("0123456789abcdef-test-key")));
  CHECK(id != anomstream::triage::audit_key_id(bytes_of("0123456789abcdef-test-kez")));
}

TEST_CASE("payloads with quotes, control characters and UTF-8 round-trip") {
  auto chain = AuditChain::create(KEY);
  REQUIRE(chain);
  const std::string payload = "quote\" backslash\\ newline\n tab\t bell\x07 utf8 \xc3\xa9\xe2\x82\xac";
  auto line = chain->append(1, "alert", payload);
  REQUIRE(line);
  CHECK(line->find('\n') == std::string::npos);
  auto entry = anomstream::triage::parse_audit_line(*line);
  REQUIRE(entry);
  CHECK(entry->payload == payload);
  CHECK(verify({*line}).ok());
}

TEST_CASE("invalid keys, kinds and garbage lines are errors, not crashes") {
  auto short_key = AuditChain::create(bytes_of("short"));
  REQUIRE_FALSE(short_key);
  CHECK(short_key.error().field == "audit key");
  CHECK(short_key.error().bound == "must be at least 16 bytes (got 5)");

  auto chain = AuditChain::create(KEY);
  REQUIRE(chain);
  CHECK_FALSE(chain->append(1, "", "x"));
  CHECK_FALSE(chain->append(1, "Alert", "x"));
  CHECK_FALSE(chain->append(1, std::string(65, 'a'), "x"));

  for (const std::string& garbage : std::vector<std::string>{"", "{", "not json", "{\"seq\":1}", "{\"seq\":\"1\"}",
                                    "{\"seq\":0,\"time_ns\":1}", std::string(1000, '{'),
                                    "{\"seq\":1,\"time_ns\":1,\"kind\":\"a\\u12\"}"}) {
    auto entry = anomstream::triage::parse_audit_line(garbage);
    CHECK_FALSE(entry);
  }
  auto v = verify({"garbage"});
  CHECK_FALSE(v.ok());
  CHECK(v.problem().starts_with("unparseable entry"));
}
