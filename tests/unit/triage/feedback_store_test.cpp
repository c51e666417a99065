#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "anomstream/core/secret_key.hpp"
#include "anomstream/triage/feedback_store.hpp"

using anomstream::ErrorCode;
using anomstream::key_from_seed;
using anomstream::triage::FeedbackLabel;
using anomstream::triage::FeedbackStore;
using anomstream::triage::FeedbackStoreConfig;

namespace {

const std::vector<double> ALERT{1.0, 2.0, 0.5, 0.0};
const std::vector<double> OTHER{-2.0, 0.5, 1.0, 3.0};  // orthogonal to ALERT

FeedbackStore make(std::size_t max_entries = 16) {
  auto store = FeedbackStore::create({.dimension = 4,
                                      .bits = 64,
                                      .max_entries = max_entries,
                                      .false_positive_ttl_ns = 100,
                                      .benign_ttl_ns = 50,
                                      .true_positive_ttl_ns = 1000,
                                      .key = key_from_seed(7)});
  REQUIRE(store);
  return *store;
}

double factor(FeedbackStore& store, std::string_view stream, const std::vector<double>& v, std::int64_t now) {
  auto f = store.adjustment(stream, v, now);
  REQUIRE(f);
  return *f;
}

}  // namespace

TEST_CASE("a false positive suppresses look-alike alerts of its stream for its TTL and not after") {
  auto store = make();
  CHECK(factor(store, "s", ALERT, 0) == 1.0);
  REQUIRE(*store.record("s", ALERT, FeedbackLabel::false_positive, 1000));
  CHECK(factor(store, "s", ALERT, 1000) == 0.1);
  CHECK(factor(store, "s", ALERT, 1099) == 0.1);
  // Same direction, other length: same signature.
  CHECK(factor(store, "s", std::vector<double>{3, 6, 1.5, 0}, 1050) == 0.1);
  // Other stream, or a vector at 90 degrees (64 bits agree with probability 2^-64): none.
  CHECK(factor(store, "t", ALERT, 1050) == 1.0);
  CHECK(factor(store, "s", OTHER, 1050) == 1.0);
  // TTL is over at labelled_at + ttl; the expired verdict is dropped.
  CHECK(factor(store, "s", ALERT, 1100) == 1.0);
  CHECK(store.size() == 0);
  // Benign and true positive verdicts give their factors for their own TTLs.
  REQUIRE(*store.record("b", ALERT, FeedbackLabel::benign, 0));
  REQUIRE(*store.record("p", ALERT, FeedbackLabel::true_positive, 0));
  CHECK(factor(store, "b", ALERT, 49) == 0.5);
  CHECK(factor(store, "b", ALERT, 50) == 1.0);
  CHECK(factor(store, "p", ALERT, 999) == 1.5);
  CHECK(factor(store, "p", ALERT, 1000) == 1.0);
}

TEST_CASE("on one key the later verdict wins, and at equal times true positive beats the rest") {
  auto store = make();
  REQUIRE(*store.record("s", ALERT, FeedbackLabel::false_positive, 100));
  CHECK(*store.record("s", ALERT, FeedbackLabel::true_positive, 200));  // newer TP replaces FP
  CHECK(factor(store, "s", ALERT, 250) == 1.5);
  CHECK_FALSE(*store.record("s", ALERT, FeedbackLabel::false_positive, 150));  // older: ignored
  CHECK(factor(store, "s", ALERT, 250) == 1.5);
  CHECK_FALSE(*store.record("s", ALERT, FeedbackLabel::false_positive, 200));  // tie: TP stays
  CHECK(factor(store, "s", ALERT, 250) == 1.5);
  CHECK(*store.record("s", ALERT, FeedbackLabel::false_positive, 300));  // a later dismissal
  CHECK(factor(store, "s", ALERT, 350) == 0.1);
  // Equal times in the other order: the true positive still wins.
  REQUIRE(*store.record("u", ALERT, FeedbackLabel::benign, 10));
  CHECK(*store.record("u", ALERT, FeedbackLabel::true_positive, 10));
  CHECK_FALSE(*store.record("u", ALERT, FeedbackLabel::benign, 10));
  CHECK(factor(store, "u", ALERT, 20) == 1.5);
  CHECK(store.size() == 2);
}

TEST_CASE("the store keeps max_entries keys and evicts the least recently used") {
  auto store = make(3);
  REQUIRE(*store.record("s1", ALERT, FeedbackLabel::false_positive, 0));
  REQUIRE(*store.record("s2", ALERT, FeedbackLabel::false_positive, 1));
  REQUIRE(*store.record("s3", ALERT, FeedbackLabel::false_positive, 2));
  CHECK(factor(store, "s1", ALERT, 3) == 0.1);  // s1 used: s2 is now the least recent
  REQUIRE(*store.record("s4", ALERT, FeedbackLabel::false_positive, 4));
  CHECK(store.size() == 3);
  CHECK(store.evictions() == 1);
  CHECK(factor(store, "s2", ALERT, 5) == 1.0);
  CHECK(factor(store, "s1", ALERT, 5) == 0.1);
  CHECK(factor(store, "s3", ALERT, 5) == 0.1);
  CHECK(factor(store, "s4", ALERT, 5) == 0.1);
  // Order now, least recent first: s1, s3, s4.
  const auto entries = store.snapshot().entries;
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].labelled_at_ns == 0);
  CHECK(entries[1].labelled_at_ns == 2);
  CHECK(entries[2].labelled_at_ns == 4);
}

TEST_CASE("the store holds at most 65 536 entries in 3.0 MiB") {
  auto store = FeedbackStore::create({.dimension = 4, .key = key_from_seed(1)});
  REQUIRE(store);
  CHECK(store->config().max_entries == 65536);
  for (int i = 0; i < 70000; ++i) {
    REQUIRE(store->record("stream-" + std::to_string(i), ALERT, FeedbackLabel::false_positive, i));
  }
  CHECK(store->size() == 65536);
  CHECK(store->evictions() == 70000 - 65536);
  CHECK(factor(*store, "stream-4463", ALERT, 70000) == 1.0);  // evicted, oldest first
  CHECK(factor(*store, "stream-4464", ALERT, 70000) == 0.1);
  // 40 bytes per entry and 4 per index slot (2^17 slots), plus hyperplanes and the object.
  CHECK(store->memory_bytes() >= 65536 * 40 + 131072 * 4);
  CHECK(store->memory_bytes() < 65536 * 40 + 131072 * 4 + 4096);
  CHECK(FeedbackStore::create({.max_entries = 65537, .key = key_from_seed(1)}).error().field ==
        "max_entries");
}

TEST_CASE("feedback store rejects bad input and config; snapshot and restore continue") {
  auto store = make();
  REQUIRE(*store.record("s", ALERT, FeedbackLabel::false_positive, 10));
  const auto before = store.snapshot();
  CHECK(store.record("", ALERT, FeedbackLabel::benign, 0).error().field == "stream");
  CHECK(store.record(std::string(1025, 'x'), ALERT, FeedbackLabel::benign, 0).error().field == "stream");
  CHECK(store.record("s", std::vector<double>(4, 0.0), FeedbackLabel::benign, 0).error().code ==
        ErrorCode::invalid_input);
  CHECK(store.record("s", std::vector<double>{1, NAN, 0, 0}, FeedbackLabel::benign, 0).error().code ==
        ErrorCode::non_finite);
  CHECK(store.adjustment("s", std::vector<double>{1, 2}, 0).error().code == ErrorCode::dimension_mismatch);
  CHECK(store.adjustment("s", ALERT, -1).error().field == "now_ns");
  CHECK(store.snapshot() == before);
  CHECK(FeedbackStore::create({.benign_ttl_ns = 0, .key = key_from_seed(1)}).error().field == "benign_ttl_ns");
  CHECK(FeedbackStore::create({.false_positive_factor = 1.5, .key = key_from_seed(1)}).error().field ==
        "false_positive_factor");
  CHECK(FeedbackStore::create({.true_positive_factor = 0.5, .key = key_from_seed(1)}).error().field ==
        "true_positive_factor");
  CHECK(anomstream::triage::parse_feedback_label("true_positive") == FeedbackLabel::true_positive);
  CHECK(anomstream::triage::parse_feedback_label("tp").error().code == ErrorCode::parse_error);

  REQUIRE(*store.record("t", OTHER, FeedbackLabel::true_positive, 20));
  auto copy = FeedbackStore::restore(store.snapshot());
  REQUIRE(copy);
  CHECK(factor(*copy, "s", ALERT, 50) == 0.1);
  CHECK(factor(*copy, "t", OTHER, 50) == 1.5);
  CHECK(factor(store, "s", ALERT, 50) == 0.1);
  CHECK(factor(store, "t", OTHER, 50) == 1.5);
  CHECK(copy->snapshot() == store.snapshot());
  auto broken = store.snapshot();
  broken.entries[1].key = broken.entries[0].key;
  CHECK(FeedbackStore::restore(broken).error().field == "entries.key");
  broken = store.snapshot();
  broken.entries[0].label = static_cast<FeedbackLabel>(7);
  CHECK(FeedbackStore::restore(broken).error().code == ErrorCode::corrupt_snapshot);
}

TEST_CASE("a verdict keeps a reference: the larger for repeats of its label, replaced by another label") {
  auto store = FeedbackStore::create({.dimension = 4, .key = key_from_seed(3)});
  REQUIRE(store);
  CHECK_FALSE(*store->match("s", ALERT, 0));
  REQUIRE(store->record("s", ALERT, FeedbackLabel::false_positive, 1, 0.3));
  REQUIRE(store->record("s", ALERT, FeedbackLabel::false_positive, 2, 0.1));
  auto found = store->match("s", ALERT, 3);
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->label == FeedbackLabel::false_positive);
  CHECK((*found)->reference == 0.3);
  CHECK((*found)->factor == 0.1);
  REQUIRE(store->record("s", ALERT, FeedbackLabel::true_positive, 4, 0.05));
  found = store->match("s", ALERT, 5);
  CHECK((*found)->label == FeedbackLabel::true_positive);
  CHECK((*found)->reference == 0.05);
  CHECK(store->record("s", ALERT, FeedbackLabel::benign, 6, NAN).error().field == "reference");
  auto copy = FeedbackStore::restore(store->snapshot());
  REQUIRE(copy);
  CHECK((*copy->match("s", ALERT, 7))->reference == 0.05);
  auto broken = store->snapshot();
  broken.entries[0].reference = INFINITY;
  CHECK(FeedbackStore::restore(broken).error().field == "entries.reference");
}
