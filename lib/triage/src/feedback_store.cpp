#include "anomstream/triage/feedback_store.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "anomstream/core/siphash.hpp"
#include "anomstream/triage/alert_clusterer.hpp"

namespace anomstream::triage {

namespace {

constexpr std::array<std::string_view, 3> LABEL_NAMES{"benign", "false_positive", "true_positive"};

// Inputs far above the hyperplanes' (2 k < 2^20), so the two uses of the key never meet.
constexpr std::uint64_t INDEX_KEY_INPUT = ~std::uint64_t{0};

Status check_ttl(std::int64_t ttl, std::string_view field) {
  return require_in_range<std::int64_t>(ttl, 1, FeedbackStore::MAX_TTL_NS, field);
}

}  // namespace

std::string_view to_string(FeedbackLabel label) noexcept {
  return LABEL_NAMES[static_cast<std::size_t>(label)];
}

Result<FeedbackLabel> parse_feedback_label(std::string_view text, std::string_view field) {
  for (std::size_t i = 0; i < LABEL_NAMES.size(); ++i) {
    if (text == LABEL_NAMES[i]) return static_cast<FeedbackLabel>(i);
  }
  return fail(ErrorCode::parse_error, std::string(field), "benign, false_positive or true_positive");
}

FeedbackStore::FeedbackStore(const FeedbackStoreConfig& config, RandomHyperplanes hyperplanes)
    : config_(config),
      hyperplanes_(std::move(hyperplanes)),
      index_key_{siphash24_u64(*config.key, INDEX_KEY_INPUT),
                 siphash24_u64(*config.key, INDEX_KEY_INPUT - 1)},
      table_(config.max_entries) {}

Result<FeedbackStore> FeedbackStore::create(const FeedbackStoreConfig& config,
                                            const SecretKeyDrawer& drawer) {
  if (auto ok = require_in_range<std::size_t>(config.max_entries, 1, MAX_ENTRIES, "max_entries"); !ok) {
    return std::unexpected(ok.error());
  }
  for (auto [ttl, field] : {std::pair{config.false_positive_ttl_ns, "false_positive_ttl_ns"},
                            std::pair{config.benign_ttl_ns, "benign_ttl_ns"},
                            std::pair{config.true_positive_ttl_ns, "true_positive_ttl_ns"}}) {
    if (auto ok = check_ttl(ttl, field); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range(config.false_positive_factor, 0.0, 1.0, "false_positive_factor"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range(config.benign_factor, 0.0, 1.0, "benign_factor"); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = require_in_range(config.true_positive_factor, 1.0, 100.0, "true_positive_factor"); !ok) {
    return std::unexpected(ok.error());
  }
  auto hyperplanes = RandomHyperplanes::create(config.dimension, config.bits, config.key, drawer);
  if (!hyperplanes) return std::unexpected(hyperplanes.error());
  FeedbackStoreConfig resolved = config;
  resolved.key = hyperplanes->key();
  return FeedbackStore(resolved, std::move(*hyperplanes));
}

std::int64_t FeedbackStore::ttl(FeedbackLabel label) const noexcept {
  switch (label) {
    case FeedbackLabel::true_positive: return config_.true_positive_ttl_ns;
    case FeedbackLabel::false_positive: return config_.false_positive_ttl_ns;
    case FeedbackLabel::benign: break;
  }
  return config_.benign_ttl_ns;
}

double FeedbackStore::factor(FeedbackLabel label) const noexcept {
  switch (label) {
    case FeedbackLabel::true_positive: return config_.true_positive_factor;
    case FeedbackLabel::false_positive: return config_.false_positive_factor;
    case FeedbackLabel::benign: break;
  }
  return config_.benign_factor;
}

Result<std::uint64_t> FeedbackStore::key_of(std::string_view stream,
                                            std::span<const double> vector) const noexcept {
  if (stream.empty() || stream.size() > MAX_STREAM_BYTES) {
    return fail(ErrorCode::invalid_input, "stream", "1 to 1024 bytes");
  }
  if (auto norm = checked_norm(vector, config_.dimension); !norm) return std::unexpected(norm.error());
  const std::uint64_t signature = *hyperplanes_.signature(vector);
  return siphash24_u64(index_key_, siphash24(index_key_, stream) ^ signature);
}

Result<bool> FeedbackStore::record(std::string_view stream, std::span<const double> vector,
                                   FeedbackLabel label, std::int64_t labelled_at_ns) noexcept {
  return record(stream, vector, label, labelled_at_ns, 0.0);
}

Result<bool> FeedbackStore::record(std::string_view stream, std::span<const double> vector,
                                   FeedbackLabel label, std::int64_t labelled_at_ns, double reference) noexcept {
  auto key = key_of(stream, vector);
  if (!key) return std::unexpected(key.error());
  if (labelled_at_ns < 0) return fail(ErrorCode::invalid_input, "labelled_at_ns", ">= 0");
  if (!std::isfinite(reference)) return fail(ErrorCode::non_finite, "reference", "finite");
  if (auto* node = table_.find(*key); node != nullptr) {
    table_.touch(*node);
    const Verdict& old = node->value;
    const bool newer = labelled_at_ns > old.labelled_at_ns ||
                       (labelled_at_ns == old.labelled_at_ns && label >= old.label);
    if (newer) {
      node->value = Verdict{label, labelled_at_ns,
                            label == old.label ? std::max(reference, old.reference) : reference};
    }
    return newer;
  }
  if (table_.full()) ++evictions_;
  table_.insert(*key, Verdict{label, labelled_at_ns, reference});
  return true;
}

Result<double> FeedbackStore::adjustment(std::string_view stream, std::span<const double> vector,
                                         std::int64_t now_ns) noexcept {
  auto found = match(stream, vector, now_ns);
  if (!found) return std::unexpected(found.error());
  return *found ? (*found)->factor : 1.0;
}

Result<std::optional<FeedbackStore::Match>> FeedbackStore::match(std::string_view stream,
                                                                 std::span<const double> vector,
                                                                 std::int64_t now_ns) noexcept {
  auto key = key_of(stream, vector);
  if (!key) return std::unexpected(key.error());
  if (now_ns < 0) return fail(ErrorCode::invalid_input, "now_ns", ">= 0");
  auto* node = table_.find(*key);
  if (node == nullptr) return std::optional<Match>{};
  const Verdict verdict = node->value;
  if (now_ns - verdict.labelled_at_ns >= ttl(verdict.label)) {
    table_.erase(*key);
    return std::optional<Match>{};
  }
  table_.touch(*node);
  return std::optional<Match>{Match{verdict.label, factor(verdict.label), verdict.reference}};
}

std::size_t FeedbackStore::memory_bytes() const noexcept {
  return sizeof(*this) + hyperplanes_.memory_bytes() + table_.memory_bytes();
}

FeedbackStoreSnapshot FeedbackStore::snapshot() const {
  FeedbackStoreSnapshot snapshot{config_, evictions_, {}};
  table_.for_each([&](const auto& node) {
    snapshot.entries.push_back({node.key, node.value.label, node.value.labelled_at_ns, node.value.reference});
  });
  return snapshot;
}

Result<FeedbackStore> FeedbackStore::restore(const FeedbackStoreSnapshot& snapshot) {
  const auto corrupt = [](std::string field, std::string bound) {
    return fail(ErrorCode::corrupt_snapshot, std::move(field), std::move(bound));
  };
  if (!snapshot.config.key) return corrupt("config.key", "set");
  auto store = create(snapshot.config);
  if (!store) return store;
  if (snapshot.entries.size() > snapshot.config.max_entries) return corrupt("entries", "<= max_entries");
  for (const FeedbackEntry& e : snapshot.entries) {
    if (static_cast<std::size_t>(e.label) >= LABEL_NAMES.size()) return corrupt("entries.label", "a label");
    if (e.labelled_at_ns < 0) return corrupt("entries.labelled_at_ns", ">= 0");
    if (!std::isfinite(e.reference)) return corrupt("entries.reference", "finite");
    if (store->table_.find(e.key) != nullptr) return corrupt("entries.key", "unique");
    store->table_.insert(e.key, Verdict{e.label, e.labelled_at_ns, e.reference});
  }
  store->evictions_ = snapshot.evictions;
  return store;
}

}  // namespace anomstream::triage
