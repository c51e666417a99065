// AuditVerifier across files, keys and the entries the log writes about itself.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "anomstream/triage/audit_chain.hpp"
#include "anomstream/triage/audit_events.hpp"
#include "anomstream/triage/audit_verifier.hpp"
#include "byte_text.hpp"

using anomstream::test::bytes_of;
using anomstream::triage::AuditChain;
using anomstream::triage::AuditVerifier;

namespace {

const auto OLD_KEY = bytes_of("old-key-0123456789abcdef");
const auto NEW_KEY = bytes_of("new-key-0123456789abcdef");

void add(AuditChain& chain, std::vector<std::string>& lines, std::string_view kind, std::string_view payload) {
  auto line = chain.append(static_cast<std::int64_t>(lines.size()) + 1, kind, payload);
  REQUIRE(line);
  lines.push_back(*line);
}

// Three alerts under OLD_KEY, the rotation (MACed under OLD_KEY), two alerts under NEW_KEY.
std::vector<std::string> rotated_log(const std::vector<std::byte>& announced = NEW_KEY) {
  auto chain = AuditChain::create(OLD_KEY);
  REQUIRE(chain);
  std::vector<std::string> lines;
  for (int i = 0; i < 3; ++i) add(*chain, lines, "alert", "{\"n\":" + std::to_string(i) + "}");
  add(*chain, lines, anomstream::triage::AUDIT_KIND_KEY_ROTATED,
      anomstream::triage::key_rotated_payload(
          {anomstream::triage::audit_key_id(OLD_KEY), anomstream::triage::audit_key_id(announced)}));
  REQUIRE(chain->rekey(NEW_KEY));
  for (int i = 0; i < 2; ++i) add(*chain, lines, "alert", "{\"after\":" + std::to_string(i) + "}");
  return lines;
}

AuditVerifier verify(const std::vector<std::string>& lines, const std::vector<std::vector<std::byte>>& keys) {
  auto verifier = AuditVerifier::create(keys);
  REQUIRE(verifier);
  for (const auto& line : lines) verifier->feed(line);
  return *verifier;
}

}  // namespace

TEST_CASE("a rotated key is followed at the key_rotated entry, in either key order") {
  const auto lines = rotated_log();
  for (const auto& keys : {std::vector{OLD_KEY, NEW_KEY}, std::vector{NEW_KEY, OLD_KEY}}) {
    const auto v = verify(lines, keys);
    INFO(v.problem());
    CHECK(v.ok());
    CHECK(v.entries_verified() == 6);
    REQUIRE(v.key_rotations().size() == 1);
    CHECK(v.key_rotations()[0].sequence == 4);
    CHECK(v.key_rotations()[0].rotation.new_key_id == anomstream::triage::audit_key_id(NEW_KEY));
  }
}

TEST_CASE("without the new key, verification stops at the rotation that names it") {
  const auto v = verify(rotated_log(), {OLD_KEY});
  CHECK_FALSE(v.ok());
  CHECK(v.first_bad_line() == 4);
  CHECK(v.problem() == "key_rotated at sequence 4 names key id " + anomstream::triage::audit_key_id(NEW_KEY) +
                           ", which none of the given keys has");
  CHECK(v.entries_verified() == 3);
}

TEST_CASE("without the old key the first entry does not verify") {
  const auto v = verify(rotated_log(), {NEW_KEY});
  CHECK(v.first_bad_line() == 1);
  CHECK(v.problem() == "mac mismatch at sequence 1");
}

TEST_CASE("the key changes only at a key_rotated entry: an entry MACed under another given key fails") {
  // A holder of the new key cannot rewrite entries from before the rotation, even
  // though the verifier was given the new key too. (resume_after only sets the head
  // here: the attacker reads entry 1's MAC from the file.)
  const auto lines = rotated_log();
  auto rewriter = AuditChain::create(OLD_KEY);
  REQUIRE(rewriter);
  REQUIRE(rewriter->resume_after(lines[0]));
  REQUIRE(rewriter->rekey(NEW_KEY));
  auto forged = rewriter->append(2, "alert", "{\"n\":\"forged\"}");
  REQUIRE(forged);
  const auto v = verify({lines[0], *forged, lines[2]}, {OLD_KEY, NEW_KEY});
  CHECK(v.first_bad_line() == 2);
  CHECK(v.problem() == "mac mismatch at sequence 2");
}

TEST_CASE("a rotation to a key id nobody announced cannot be smuggled in by a payload edit") {
  auto lines = rotated_log();
  const auto old_id = anomstream::triage::audit_key_id(OLD_KEY);
  const auto at = lines[3].find(anomstream::triage::audit_key_id(NEW_KEY));
  REQUIRE(at != std::string::npos);
  lines[3].replace(at, 16, old_id);
  const auto v = verify(lines, {OLD_KEY, NEW_KEY});
  CHECK(v.first_bad_line() == 4);
  CHECK(v.problem() == "payload digest mismatch at sequence 4");
}

TEST_CASE("a chain continued in a second file verifies across the files, not out of order") {
  auto chain = AuditChain::create(OLD_KEY);
  REQUIRE(chain);
  std::vector<std::string> first, second;
  for (int i = 0; i < 4; ++i) add(*chain, first, "alert", "{}");
  for (int i = 0; i < 3; ++i) add(*chain, second, "alert", "{}");

  auto in_order = AuditVerifier::create(OLD_KEY);
  REQUIRE(in_order);
  for (const auto& line : first) in_order->feed(line);
  in_order->start_file();
  for (const auto& line : second) in_order->feed(line);
  CHECK(in_order->ok());
  CHECK(in_order->entries_verified() == 7);

  auto reversed = AuditVerifier::create(OLD_KEY);
  REQUIRE(reversed);
  for (const auto& line : second) reversed->feed(line);
  CHECK(reversed->first_bad_line() == 1);
  CHECK(reversed->problem() == "missing entry: expected sequence 1, found 5");

  // The newest file alone does not verify: its chain starts mid-way.
  auto alone = AuditVerifier::create(OLD_KEY);
  REQUIRE(alone);
  for (const auto& line : first) alone->feed(line);
  alone->start_file();
  for (std::size_t i = 1; i < second.size(); ++i) alone->feed(second[i]);
  CHECK(alone->first_bad_line() == 1);  // line numbers restart in each file
  CHECK(alone->problem() == "missing entry: expected sequence 5, found 6");
}

TEST_CASE("with a partial start the first file given may begin mid-chain; the rest is still checked") {
  auto chain = AuditChain::create(OLD_KEY);
  REQUIRE(chain);
  std::vector<std::string> lines;
  for (int i = 0; i < 8; ++i) add(*chain, lines, "alert", "{}");
  const std::vector<std::string> kept(lines.begin() + 5, lines.end());

  auto partial = AuditVerifier::create(OLD_KEY);
  REQUIRE(partial);
  partial->allow_partial_start();
  for (const auto& line : kept) partial->feed(line);
  CHECK(partial->ok());
  CHECK(partial->first_sequence() == 6);
  CHECK(partial->last_sequence() == 8);

  auto gap = AuditVerifier::create(OLD_KEY);
  REQUIRE(gap);
  gap->allow_partial_start();
  for (const auto& line : {lines[5], lines[7]}) gap->feed(line);
  CHECK(gap->problem() == "missing entry: expected sequence 7, found 8");

  // The first entry's own MAC is still checked.
  auto wrong_key = AuditVerifier::create(NEW_KEY);
  REQUIRE(wrong_key);
  wrong_key->allow_partial_start();
  wrong_key->feed(kept[0]);
  CHECK(wrong_key->problem() == "mac mismatch at sequence 6");
}

TEST_CASE("audit_recovered entries are reported with what was recovered") {
  auto chain = AuditChain::create(OLD_KEY);
  REQUIRE(chain);
  std::vector<std::string> lines;
  add(*chain, lines, "config_load", "{}");
  const anomstream::triage::AuditRecovery recovery{1, 37, "audit.log.torn-1764043200"};
  add(*chain, lines, anomstream::triage::AUDIT_KIND_RECOVERED, anomstream::triage::audit_recovered_payload(recovery));
  add(*chain, lines, "config_load", "{}");
  const auto v = verify(lines, {OLD_KEY});
  CHECK(v.ok());
  REQUIRE(v.recoveries().size() == 1);
  CHECK(v.recoveries()[0] == recovery);
}

TEST_CASE("payloads of the log's own entries round-trip and malformed ones are errors") {
  const anomstream::triage::AuditRecovery recovery{12, 4096, "a \"quoted\" name"};
  auto parsed = anomstream::triage::parse_audit_recovered_payload(anomstream::triage::audit_recovered_payload(recovery));
  REQUIRE(parsed);
  CHECK(*parsed == recovery);
  const anomstream::triage::AuditKeyRotation rotation{"0123456789abcdef", "fedcba9876543210"};
  auto rotated = anomstream::triage::parse_key_rotated_payload(anomstream::triage::key_rotated_payload(rotation));
  REQUIRE(rotated);
  CHECK(*rotated == rotation);

  CHECK_FALSE(anomstream::triage::parse_audit_recovered_payload("{\"torn_bytes\":1,\"side_file\":\"x\"}"));
  CHECK_FALSE(anomstream::triage::parse_audit_recovered_payload(
      "{\"last_good_sequence\":-1,\"torn_bytes\":1,\"side_file\":\"x\"}"));
  CHECK_FALSE(anomstream::triage::parse_key_rotated_payload("{\"new_key_id\":12}"));
  CHECK_FALSE(anomstream::triage::parse_key_rotated_payload("not json"));
}

TEST_CASE("no keys, or a short one, is refused") {
  CHECK_FALSE(AuditVerifier::create(std::vector<std::vector<std::byte>>{}));
  CHECK_FALSE(AuditVerifier::create(std::vector{OLD_KEY, bytes_of("short")}));
}
