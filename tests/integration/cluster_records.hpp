#pragma once
// What the scale-out test reads back from the instances (docs/scale-out.md): the
// ledger each scoring instance writes (ingest.jetstream.ledger: one JSON object per
// scored message and per lease change) and the alerts of its JSON-lines sink, and the
// checks that hold them against each other and against a single-instance reference.
// Every check returns its problems as readable lines, none when it holds.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "alert_truth.hpp"

namespace anomstream::test {

// {"kind":"scored","instance":"a","partition":3,"seq":1234,"delivered":1,"replay":false,"redelivered":false,
//  "tenant":"t7","ns":...}
struct ScoredRecord {
  std::string instance{};
  std::uint32_t partition = 0;
  std::uint64_t seq = 0;        // the stream sequence
  std::uint64_t delivered = 0;  // JetStream's delivery count: > 1 is a redelivery
  bool replay = false;          // re-applied in a hand-off replay, alerts muted
  bool redelivered = false;     // delivered before without an acknowledgement (or delivered > 1)
  std::string tenant{};
};

// {"kind":"lease","instance":"a","partition":3,"action":"claim","revision":17,"ns":...}
struct LeaseRecord {
  std::string instance{};
  std::uint32_t partition = 0;
  std::string action{};  // claim, renew, release or lost
  std::uint64_t revision = 0;
  std::int64_t ns = 0;
};

struct Ledger {
  std::vector<ScoredRecord> scored{};
  std::vector<LeaseRecord> leases{};
  std::size_t unreadable = 0;  // lines that are not a complete record (a kill -9 mid-line)
};

Ledger read_ledger(const std::string& path);

// The complete alerts of a JSON-lines sink file.
std::vector<tools::AlertSighting> read_alerts(const std::string& path);

// The stream sequence in a scale-out alert id, "<tenant>/<16 hex sequence><16 hex tag>";
// nullopt for an id of another form.
std::optional<std::uint64_t> alert_sequence(std::string_view id);

// Sequences 1..count that no record scored.
std::vector<std::uint64_t> unscored(const std::vector<ScoredRecord>& scored, std::uint64_t count);

// Sequences scored more than once without being a redelivery or a replay: each
// sequence seen twice or more needs an occurrence that is a redelivery or a replay, and
// at most one that is neither.
std::vector<std::string> unexplained_duplicates(const std::vector<ScoredRecord>& scored);

// Lease order per partition: each instance's revisions never fall (claims and renewals
// rise), and a claim's revision is above every revision any instance logged before it.
std::vector<std::string> lease_order_problems(const std::vector<LeaseRecord>& leases);

// The sequences some record shows redelivered.
std::set<std::uint64_t> redelivered(const std::vector<ScoredRecord>& scored);

// `cluster` against `reference`: per tenant the same alert ids, each with the
// reference's score, and an id more than once only for a redelivered sequence.
std::vector<std::string> alert_problems(const std::vector<tools::AlertSighting>& cluster,
                                        const std::vector<tools::AlertSighting>& reference,
                                        const std::set<std::uint64_t>& redelivered_sequences);

}  // namespace anomstream::test
