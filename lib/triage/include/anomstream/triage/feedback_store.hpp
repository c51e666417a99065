#pragma once
// FeedbackStore: analysts' verdicts on past alerts, turned into a factor on the scores
// of new alerts that look like them: suppress what was judged a false positive, keep
// or raise what was judged a true positive, for a while.
//
// Keying: an alert is identified by its stream and the b-bit random-hyperplane
// signature of its attribution or feature vector (RandomHyperplanes, Charikar 2002), so
// "near" means "same stream, same signature": vectors at angle theta share a signature
// with probability (1 - theta / pi)^b. The hyperplanes and the table's index hash
// (SipHash-2-4 over the stream name and signature) derive from a per-instance secret key
// (draw_secret_key unless the config supplies one), so someone who can send alerts or
// feedback cannot aim a verdict at other streams' alerts or flood one index bucket.
// Verdicts: true_positive, false_positive, benign, each active for its TTL from the
// time it was given: while now < labelled_at_ns + ttl (a verdict stamped slightly in
// the future by a skewed clock already applies). adjustment() returns the active verdict's factor
// (`false_positive_factor`, `benign_factor`, `true_positive_factor`) and 1 without one.
// Conflicts on one key: the verdict with the later labelled_at_ns wins; on equal times
// true_positive beats false_positive beats benign (a confirmed attack is never hidden by
// a dismissal given at the same moment). A verdict older than the stored one is ignored
// (record() returns false).
// Bound: at most `max_entries` (<= 65 536) keys. A new key beyond that evicts the least
// recently used one: the key whose last record() or matching adjustment() is oldest,
// counted in evictions(). Expired verdicts are dropped when an adjustment() meets them.
// Memory: 8 b d bytes of hyperplanes + 40 max_entries + 4 bit_ceil(2 max_entries) bytes
// plus a constant (3.0 MiB at 65 536 entries), allocated at construction (memory_bytes()).
// Time: O(b d + |stream|) per call, expected; no allocation.
// Errors: create() names a config field outside its bound (invalid_config) or fails
// when the key draw fails (io_error). record() and adjustment() reject a stream name
// outside [1, 1024] bytes, a zero vector or a negative time (invalid_input), a wrong
// length (dimension_mismatch) or non-finite values (non_finite), leaving the store
// unchanged. restore() rejects a snapshot that breaks its invariants (corrupt_snapshot).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/triage/detail/lru_table.hpp"
#include "anomstream/triage/random_hyperplanes.hpp"

namespace anomstream::triage {

// Declared in precedence order for verdicts given at the same time (highest last).
enum class FeedbackLabel : std::uint8_t { benign, false_positive, true_positive };

// "benign", "false_positive", "true_positive".
[[nodiscard]] std::string_view to_string(FeedbackLabel label) noexcept;
// Inverse of to_string; anything else is parse_error naming `field`.
[[nodiscard]] Result<FeedbackLabel> parse_feedback_label(std::string_view text,
                                                         std::string_view field = "label");

struct FeedbackStoreConfig {
  std::size_t dimension = 1;  // d, [1, RandomHyperplanes::MAX_DIMENSION]
  std::size_t bits = 16;      // b, [1, 64]
  std::size_t max_entries = 65536;                           // [1, MAX_ENTRIES]
  std::int64_t false_positive_ttl_ns = 7 * 86'400'000'000'000LL;  // [1, 1e18]
  std::int64_t benign_ttl_ns = 7 * 86'400'000'000'000LL;          // [1, 1e18]
  std::int64_t true_positive_ttl_ns = 30 * 86'400'000'000'000LL;  // [1, 1e18]
  double false_positive_factor = 0.1;  // [0, 1]
  double benign_factor = 0.5;          // [0, 1]
  double true_positive_factor = 1.5;   // [1, 100]
  std::optional<SipKey> key;           // unset: a fresh secret key per instance

  friend bool operator==(const FeedbackStoreConfig&, const FeedbackStoreConfig&) = default;
};

struct FeedbackEntry {
  std::uint64_t key = 0;  // keyed hash of stream and signature
  FeedbackLabel label = FeedbackLabel::benign;
  std::int64_t labelled_at_ns = 0;
  double reference = 0.0;  // the caller's measure of the labelled alert (finite)

  friend bool operator==(const FeedbackEntry&, const FeedbackEntry&) = default;
};

struct FeedbackStoreSnapshot {
  FeedbackStoreConfig config;  // with the key set
  std::uint64_t evictions = 0;
  std::vector<FeedbackEntry> entries;  // least recently used first

  friend bool operator==(const FeedbackStoreSnapshot&, const FeedbackStoreSnapshot&) = default;
};

class FeedbackStore {
 public:
  static constexpr std::size_t MAX_ENTRIES = 65536;
  static constexpr std::size_t MAX_STREAM_BYTES = 1024;
  static constexpr std::int64_t MAX_TTL_NS = 1'000'000'000'000'000'000;

  [[nodiscard]] static Result<FeedbackStore> create(const FeedbackStoreConfig& config,
                                                    const SecretKeyDrawer& drawer = draw_secret_key);
  [[nodiscard]] static Result<FeedbackStore> restore(const FeedbackStoreSnapshot& snapshot);

  // Stores a verdict on the alert (stream, vector). True when it became the key's
  // verdict, false when an existing verdict outranks it (see the conflict rule).
  [[nodiscard]] Result<bool> record(std::string_view stream, std::span<const double> vector,
                                    FeedbackLabel label, std::int64_t labelled_at_ns) noexcept;
  // The factor for a new alert's score: the active verdict's factor, else 1.
  [[nodiscard]] Result<double> adjustment(std::string_view stream, std::span<const double> vector,
                                          std::int64_t now_ns) noexcept;
  // Records with a reference: a measure of the labelled alert that the caller compares
  // later alerts against (e.g. how far its score went past the threshold). A verdict of
  // the same label on the same key keeps the larger reference; another label replaces it.
  [[nodiscard]] Result<bool> record(std::string_view stream, std::span<const double> vector,
                                    FeedbackLabel label, std::int64_t labelled_at_ns, double reference) noexcept;
  struct Match {
    FeedbackLabel label = FeedbackLabel::benign;
    double factor = 1.0;
    double reference = 0.0;
  };
  // The live verdict for a similar alert (as adjustment()), nullopt without one.
  [[nodiscard]] Result<std::optional<Match>> match(std::string_view stream, std::span<const double> vector,
                                                   std::int64_t now_ns) noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }
  [[nodiscard]] const FeedbackStoreConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
  [[nodiscard]] FeedbackStoreSnapshot snapshot() const;

 private:
  struct Verdict {
    FeedbackLabel label = FeedbackLabel::benign;
    std::int64_t labelled_at_ns = 0;
    double reference = 0.0;
  };

  FeedbackStore(const FeedbackStoreConfig& config, RandomHyperplanes hyperplanes);
  [[nodiscard]] Result<std::uint64_t> key_of(std::string_view stream,
                                             std::span<const double> vector) const noexcept;
  [[nodiscard]] std::int64_t ttl(FeedbackLabel label) const noexcept;
  [[nodiscard]] double factor(FeedbackLabel label) const noexcept;

  FeedbackStoreConfig config_;
  RandomHyperplanes hyperplanes_;
  SipKey index_key_;  // derived from the key, apart from the hyperplanes' inputs
  detail::LruTable<Verdict> table_;
  std::uint64_t evictions_ = 0;
};

}  // namespace anomstream::triage
