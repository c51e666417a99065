#include "cluster_records.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "daemon_fixture.hpp"

namespace anomstream::test {
namespace {

template <typename T>
bool number(const std::string& line, std::string_view key, T& out) {
  std::string text;
  if (!tools::json_field(line, key, text)) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Ledger read_ledger(const std::string& path) {
  Ledger ledger;
  for (const auto& line : read_lines(path)) {
    std::string kind, flag;
    // A record is complete when its closing brace made it to the file.
    const bool closed = !line.empty() && line.back() == '}' && tools::json_field(line, "kind", kind);
    if (closed && kind == "scored") {
      ScoredRecord& r = ledger.scored.emplace_back();
      if (tools::json_field(line, "instance", r.instance) && tools::json_field(line, "tenant", r.tenant) &&
          tools::json_field(line, "replay", flag) && number(line, "partition", r.partition) &&
          number(line, "seq", r.seq) && number(line, "delivered", r.delivered)) {
        r.replay = flag == "true";
        r.redelivered = r.delivered > 1 || (tools::json_field(line, "redelivered", flag) && flag == "true");
        continue;
      }
      ledger.scored.pop_back();
    } else if (closed && kind == "lease") {
      LeaseRecord& r = ledger.leases.emplace_back();
      if (tools::json_field(line, "instance", r.instance) && tools::json_field(line, "action", r.action) &&
          number(line, "partition", r.partition) && number(line, "revision", r.revision) && number(line, "ns", r.ns)) {
        continue;
      }
      ledger.leases.pop_back();
    }
    ++ledger.unreadable;
  }
  return ledger;
}

std::vector<tools::AlertSighting> read_alerts(const std::string& path) {
  std::vector<tools::AlertSighting> alerts;
  for (const auto& line : read_lines(path)) {
    tools::AlertSighting a;
    if (tools::parse_alert_line(line, a)) alerts.push_back(std::move(a));
  }
  return alerts;
}

std::optional<std::uint64_t> alert_sequence(std::string_view id) {
  const auto slash = id.rfind('/');
  if (slash == std::string_view::npos || id.size() - slash - 1 != 32) return std::nullopt;
  std::uint64_t sequence = 0;
  const char* begin = id.data() + slash + 1;
  const auto [end, ec] = std::from_chars(begin, begin + 16, sequence, 16);
  if (ec != std::errc() || end != begin + 16) return std::nullopt;
  return sequence;
}

std::vector<std::uint64_t> unscored(const std::vector<ScoredRecord>& scored, std::uint64_t count) {
  std::vector<bool> seen(count + 1, false);
  for (const auto& r : scored) {
    if (r.seq <= count) seen[r.seq] = true;
  }
  std::vector<std::uint64_t> missing;
  for (std::uint64_t seq = 1; seq <= count; ++seq) {
    if (!seen[seq]) missing.push_back(seq);
  }
  return missing;
}

std::vector<std::string> unexplained_duplicates(const std::vector<ScoredRecord>& scored) {
  std::map<std::uint64_t, std::vector<const ScoredRecord*>> by_sequence;
  for (const auto& r : scored) by_sequence[r.seq].push_back(&r);
  std::vector<std::string> problems;
  for (const auto& [seq, records] : by_sequence) {
    if (records.size() < 2) continue;
    const auto first_deliveries =
        std::ranges::count_if(records, [](const ScoredRecord* r) { return !r->redelivered && !r->replay; });
    if (first_deliveries < static_cast<std::ptrdiff_t>(records.size()) && first_deliveries <= 1) continue;
    std::string line = fmt::format("sequence {} scored {} times:", seq, records.size());
    for (const ScoredRecord* r : records) {
      line += fmt::format(" [{} p{} delivered={} redelivered={} replay={}]", r->instance, r->partition, r->delivered,
                          r->redelivered, r->replay);
    }
    problems.push_back(std::move(line));
  }
  return problems;
}

std::vector<std::string> lease_order_problems(const std::vector<LeaseRecord>& leases) {
  std::vector<std::string> problems;
  std::map<std::uint32_t, std::vector<const LeaseRecord*>> by_partition;
  for (const auto& r : leases) by_partition[r.partition].push_back(&r);
  for (auto& [partition, records] : by_partition) {
    // Each instance's own records, in the order it wrote them.
    std::map<std::string, const LeaseRecord*> previous;
    for (const LeaseRecord* r : records) {
      const LeaseRecord*& last = previous[r->instance];
      const bool rises = r->action == "claim" || r->action == "renew";
      if (last != nullptr && (r->revision < last->revision || (rises && r->revision == last->revision))) {
        problems.push_back(fmt::format("p{}: {} logged {} at revision {} after {} at revision {}", partition,
                                       r->instance, r->action, r->revision, last->action, last->revision));
      }
      last = r;
    }
    // Across instances, by the time each was logged.
    std::ranges::stable_sort(records, {}, &LeaseRecord::ns);
    const LeaseRecord* highest = nullptr;
    for (const LeaseRecord* r : records) {
      if (r->action == "claim" && highest != nullptr && r->revision <= highest->revision) {
        problems.push_back(fmt::format("p{}: {} claimed at revision {}, not above {}'s {} at revision {} logged before",
                                       partition, r->instance, r->revision, highest->instance, highest->action,
                                       highest->revision));
      }
      if (highest == nullptr || r->revision > highest->revision) highest = r;
    }
  }
  return problems;
}

std::set<std::uint64_t> redelivered(const std::vector<ScoredRecord>& scored) {
  std::set<std::uint64_t> sequences;
  for (const auto& r : scored) {
    if (r.redelivered) sequences.insert(r.seq);
  }
  return sequences;
}

std::vector<std::string> alert_problems(const std::vector<tools::AlertSighting>& cluster,
                                        const std::vector<tools::AlertSighting>& reference,
                                        const std::set<std::uint64_t>& redelivered_sequences) {
  std::vector<std::string> problems;
  std::map<std::string, double> expected;  // reference score by id
  for (const auto& a : reference) {
    if (!expected.try_emplace(a.alert_id, a.score).second) {
      problems.push_back("the reference raised " + a.alert_id + " twice");
    }
  }
  std::map<std::string, std::size_t> seen;
  for (const auto& a : cluster) {
    const auto sequence = alert_sequence(a.alert_id);
    if (!sequence) {
      problems.push_back("alert id " + a.alert_id + " is not <tenant>/<sequence><tag>");
      continue;
    }
    if (a.alert_id.compare(0, a.tenant.size() + 1, a.tenant + "/") != 0) {
      problems.push_back("alert id " + a.alert_id + " does not start with its tenant " + a.tenant);
    }
    if (++seen[a.alert_id] == 2 && !redelivered_sequences.contains(*sequence)) {
      problems.push_back(fmt::format("{} raised more than once, sequence {} never redelivered", a.alert_id, *sequence));
    }
    const auto it = expected.find(a.alert_id);
    if (it == expected.end()) {
      problems.push_back(fmt::format("{} (score {}) is not among the reference's alerts", a.alert_id, a.score));
    } else if (a.score != it->second) {
      // Exact: the forest is seeded per stream and a hand-off restores it bit for bit, so
      // the same messages in the same order give the same score to the last bit.
      problems.push_back(fmt::format("{} score {} but the reference's is {}", a.alert_id, a.score, it->second));
    }
  }
  for (const auto& [id, score] : expected) {
    if (!seen.contains(id)) problems.push_back(fmt::format("the reference's {} (score {}) was never raised", id, score));
  }
  return problems;
}

}  // namespace anomstream::test
