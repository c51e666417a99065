#pragma once
// TenantForestPool<Value>: one detector per tenant (or tenant/stream) key, created on
// first use from a template configuration, with the number of entries and their summed
// memory bounded by least-recently-used eviction.
//
// `Value` is typically RandomCutForest or ThresholdedForest (make_forest_factory and
// make_thresholded_forest_factory build the factories), or a pointer-like handle to a
// whole pipeline; it must report memory_bytes() (directly or through ->). A Factory
// creates a key's value for the dimension asked; the provided factories give each
// tenant's forest the seed tenant_seed(template seed, key), a SipHash-2-4 of the key,
// so a tenant's forest is the same after a restart or on another machine. Entries live
// in a list ordered by use (get_or_create, find and insert count as use; peek does not)
// with a hash index over the keys: SipHash-2-4 under `hash_key`, which create() draws
// fresh from draw_secret_key (core/secret_key.hpp) unless the config sets one, so
// clients who choose the keys cannot aim them at one index bucket. After every call
// that may evict, the pool holds at most `max_forests` entries and memory_bytes() <=
// `max_bytes`: it evicts from the least recently used end, never the entry the call
// returns, calling the eviction callback with the key and value just before destroying
// it and counting evictions(). Values grow as they learn, so an entry's memory is
// measured when it is created and again at the start of the next call after it was
// handed out (the pool assumes values change only through the pointer returned by the
// latest call; refresh_memory() re-measures all). Memory: the values' memory_bytes()
// plus the key and about 100 bytes of list and index node per entry, plus 8 bytes per
// index bucket; while a new value is created the peak is that much plus the new value.
// Time per hit: one SipHash of the key, a list splice and one memory_bytes() of the
// previously used value (O(trees) for a forest); a miss adds the factory's cost.
// Pointers stay valid until their entry is evicted or erased. Failure modes: create()
// rejects max_forests or max_bytes out of bounds and a missing factory (invalid_config)
// and passes on a refused key draw (io_error); get_or_create passes on the factory's
// error, returns dimension_mismatch for a key that exists with another dimension, and
// invalid_config when one new value alone would exceed max_bytes — in all three cases
// without changing the pool. The eviction callback must not throw or call the pool.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "anomstream/core/error.hpp"
#include "anomstream/core/secret_key.hpp"
#include "anomstream/core/siphash.hpp"
#include "anomstream/forest/forest_config.hpp"
#include "anomstream/forest/random_cut_forest.hpp"
#include "anomstream/forest/thresholded_forest.hpp"
#include "anomstream/forest/tree_executor.hpp"

namespace anomstream::forest {

inline constexpr std::size_t MAX_POOL_FORESTS = 10'000'000;
inline constexpr std::size_t MIN_POOL_BYTES = 4096;

struct TenantForestPoolConfig {
  std::size_t max_forests = 1024;                // entries, [1, 1e7]
  std::size_t max_bytes = std::size_t{1} << 30;  // summed memory_bytes(), [4096, SIZE_MAX]
  // Key of the index's SipHash. Empty: create() draws a fresh secret one, the only safe
  // choice where untrusted clients choose the keys; set it for a reproducible layout.
  std::optional<SipKey> hash_key{};

  friend bool operator==(const TenantForestPoolConfig&, const TenantForestPoolConfig&) = default;
};

[[nodiscard]] Status validate_pool_config(const TenantForestPoolConfig& config);

// Seed of `key`'s forest: SipHash-2-4 of the key's bytes under the key (template_seed,
// a fixed constant). Stable across restarts, builds and platforms.
[[nodiscard]] std::uint64_t tenant_seed(std::uint64_t template_seed, std::string_view key) noexcept;

namespace detail {
template <class V>
std::size_t value_memory_bytes(const V& value) noexcept {
  if constexpr (requires {
                  { value.memory_bytes() } -> std::convertible_to<std::size_t>;
                }) {
    return value.memory_bytes();
  } else {
    return value == nullptr ? 0 : value->memory_bytes();
  }
}
}  // namespace detail

template <class Value>
  requires requires(const Value& v) {
    { detail::value_memory_bytes(v) } -> std::same_as<std::size_t>;
  }
class TenantForestPool {
 public:
  using Factory = std::function<Result<Value>(std::string_view key, std::size_t dimension)>;
  using EvictionCallback = std::function<void(std::string_view key, const Value& value)>;

  [[nodiscard]] static Result<TenantForestPool> create(const TenantForestPoolConfig& config,
                                                       Factory factory,
                                                       EvictionCallback on_evict = {}) {
    if (auto s = validate_pool_config(config); !s) return std::unexpected(s.error());
    if (!factory) return fail(ErrorCode::invalid_config, "factory", "must not be empty");
    auto key = resolve_key(config.hash_key);
    if (!key) return std::unexpected(key.error());
    TenantForestPoolConfig keyed = config;
    keyed.hash_key = *key;
    return TenantForestPool(keyed, std::move(factory), std::move(on_evict));
  }

  TenantForestPool(TenantForestPool&&) noexcept = default;
  TenantForestPool& operator=(TenantForestPool&&) noexcept = default;
  TenantForestPool(const TenantForestPool&) = delete;
  TenantForestPool& operator=(const TenantForestPool&) = delete;
  ~TenantForestPool() = default;

  // The key's value, created by the factory with `dimension` if absent; most recently
  // used from now on.
  [[nodiscard]] Result<Value*> get_or_create(std::string_view key, std::size_t dimension) {
    remeasure_front();
    if (auto it = index_.find(key); it != index_.end()) {
      Entry& entry = *it->second;
      if (entry.dimension != dimension) {
        return fail(ErrorCode::dimension_mismatch, "dimension",
                    "must be " + std::to_string(entry.dimension) + " for this key (got " +
                        std::to_string(dimension) + ")");
      }
      touch(it->second);
      enforce_bounds();
      return &entry.value;
    }
    auto value = factory_(key, dimension);
    if (!value) return std::unexpected(value.error());
    return add(std::string(key), dimension, std::move(*value));
  }

  // Inserts (or replaces, without the eviction callback) `key`'s value as most recently
  // used, e.g. to rebuild a pool from snapshots in for_each order. Evicts like
  // get_or_create; a value too large for max_bytes is refused and nothing changes.
  [[nodiscard]] Result<Value*> insert(std::string key, std::size_t dimension, Value value) {
    remeasure_front();
    return add(std::move(key), dimension, std::move(value));
  }

  // The key's value without creating it (nullptr if absent); counts as use.
  [[nodiscard]] Value* find(std::string_view key) {
    remeasure_front();
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    touch(it->second);
    enforce_bounds();
    return &it->second->value;
  }
  // The key's value without creating it or changing the order of use.
  [[nodiscard]] const Value* peek(std::string_view key) const noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->value;
  }
  [[nodiscard]] bool contains(std::string_view key) const noexcept { return index_.contains(key); }

  // Removes the key's value (no eviction callback); false if absent.
  bool erase(std::string_view key) {
    remeasure_front();
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    remove(it->second);
    return true;
  }
  void clear() noexcept {
    index_.clear();
    entries_.clear();
    charged_ = 0;
  }

  // Calls f(key, dimension, value) from the least to the most recently used entry.
  template <class F>
  void for_each(F&& f) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      f(std::string_view(it->key), it->dimension, static_cast<const Value&>(it->value));
    }
  }

  // Re-measures every entry and evicts down to the bounds.
  void refresh_memory() {
    charged_ = 0;
    for (Entry& entry : entries_) {
      entry.bytes = charge(entry);
      charged_ += entry.bytes;
    }
    enforce_bounds();
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }
  // The configuration, with hash_key set to the key in use.
  [[nodiscard]] const TenantForestPoolConfig& config() const noexcept { return config_; }
  // Entries' memory (the most recently used re-measured now) plus the index and the pool.
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    std::size_t bytes = charged_;
    if (!entries_.empty()) bytes = bytes - entries_.front().bytes + charge(entries_.front());
    return bytes + fixed_bytes();
  }
  // The least recently used key (empty when the pool is).
  [[nodiscard]] std::string_view least_recent() const noexcept {
    return entries_.empty() ? std::string_view() : std::string_view(entries_.back().key);
  }

 private:
  struct Entry {
    std::string key;
    std::size_t dimension = 0;
    std::size_t bytes = 0;  // charge at the last measurement
    Value value;
  };
  using Iterator = typename std::list<Entry>::iterator;
  struct KeyHash {
    SipKey key;
    std::size_t operator()(std::string_view text) const noexcept {
      return static_cast<std::size_t>(siphash24(key, text));
    }
  };
  // List node links, index node (key view, iterator, link, cached hash), key terminator.
  static constexpr std::size_t NODE_OVERHEAD = sizeof(Entry) - sizeof(Value) + 2 * sizeof(void*) +
                                               sizeof(std::string_view) + sizeof(Iterator) +
                                               2 * sizeof(void*) + 1;

  TenantForestPool(const TenantForestPoolConfig& config, Factory factory, EvictionCallback on_evict)
      : config_(config),
        factory_(std::move(factory)),
        on_evict_(std::move(on_evict)),
        index_(0, KeyHash{*config.hash_key}) {}

  [[nodiscard]] static std::size_t charge(const Entry& entry) noexcept {
    const std::size_t key_heap =
        entry.key.capacity() > std::string().capacity() ? entry.key.capacity() : 0;
    return detail::value_memory_bytes(entry.value) + key_heap + NODE_OVERHEAD;
  }
  [[nodiscard]] std::size_t fixed_bytes() const noexcept {
    return sizeof(TenantForestPool) + index_.bucket_count() * sizeof(void*);
  }
  // The front entry is the one handed out last and the only one that may have changed.
  void remeasure_front() noexcept {
    if (entries_.empty()) return;
    Entry& front = entries_.front();
    charged_ -= front.bytes;
    front.bytes = charge(front);
    charged_ += front.bytes;
  }
  void touch(Iterator it) noexcept { entries_.splice(entries_.begin(), entries_, it); }

  // Links a new most recently used entry (replacing `key`'s, if any) unless it alone
  // would exceed max_bytes, then evicts down to the bounds.
  Result<Value*> add(std::string key, std::size_t dimension, Value value) {
    std::list<Entry> node;
    node.push_back(Entry{std::move(key), dimension, 0, std::move(value)});
    Entry& entry = node.front();
    entry.bytes = charge(entry);
    if (entry.bytes + fixed_bytes() > config_.max_bytes) {
      return fail(ErrorCode::invalid_config, "max_bytes",
                  "must hold at least one value of " + std::to_string(entry.bytes) +
                      " bytes (got " + std::to_string(config_.max_bytes) + ")");
    }
    if (auto old = index_.find(std::string_view(entry.key)); old != index_.end()) {
      remove(old->second);
    }
    entries_.splice(entries_.begin(), node);
    index_.emplace(std::string_view(entry.key), entries_.begin());
    charged_ += entry.bytes;
    enforce_bounds();
    return &entry.value;
  }

  void enforce_bounds() {
    while (entries_.size() > 1 && (entries_.size() > config_.max_forests ||
                                   charged_ + fixed_bytes() > config_.max_bytes)) {
      auto victim = std::prev(entries_.end());
      if (on_evict_) {
        on_evict_(std::string_view(victim->key), static_cast<const Value&>(victim->value));
      }
      ++evictions_;
      remove(victim);
    }
  }
  void remove(Iterator it) noexcept {
    charged_ -= it->bytes;
    index_.erase(std::string_view(it->key));
    entries_.erase(it);
  }

  TenantForestPoolConfig config_;
  Factory factory_;
  EvictionCallback on_evict_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string_view, Iterator, KeyHash> index_;
  std::size_t charged_ = 0;  // sum of the entries' `bytes`
  std::uint64_t evictions_ = 0;
};

// Factories creating each tenant's forest from `template_config` with the asked
// dimension and the seed tenant_seed(template_config.seed, key). The template is
// validated here (its dimension, replaced per tenant, is checked as 1 when 0).
[[nodiscard]] Result<TenantForestPool<RandomCutForest>::Factory> make_forest_factory(
    const ForestConfig& template_config, std::shared_ptr<TreeExecutor> executor = {});
[[nodiscard]] Result<TenantForestPool<ThresholdedForest>::Factory> make_thresholded_forest_factory(
    const ThresholdedForestConfig& template_config, std::shared_ptr<TreeExecutor> executor = {});

extern template class TenantForestPool<RandomCutForest>;
extern template class TenantForestPool<ThresholdedForest>;

}  // namespace anomstream::forest
