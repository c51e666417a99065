// Per-decision cost of the sampler and the prefix rate cap (single thread), with
// SipHash-2-4 and SipHash-1-3 of a u64 alone for reference.

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "anomstream/core/siphash.hpp"
#include "anomstream/hotpath/prefix_rate_cap.hpp"
#include "anomstream/hotpath/update_sampler.hpp"

namespace {

using anomstream::SipKey;
using anomstream::hotpath::PrefixRateCap;
using anomstream::hotpath::PrefixRateCapConfig;
using anomstream::hotpath::UpdateSampler;

constexpr SipKey SECRET{0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL};
// Successive flow keys: a Weyl sequence, so keys differ in every bit position.
constexpr std::uint64_t KEY_STEP = 0x9e3779b97f4a7c15ULL;

void BM_siphash24_u64(benchmark::State& state) {
  std::uint64_t key = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(anomstream::siphash24_u64(SECRET, key += KEY_STEP));
  }
}
BENCHMARK(BM_siphash24_u64);

void BM_siphash13_u64(benchmark::State& state) {
  std::uint64_t key = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(anomstream::siphash13_u64(SECRET, key += KEY_STEP));
  }
}
BENCHMARK(BM_siphash13_u64);

void BM_sampler_keyed_u64(benchmark::State& state) {
  auto sampler = UpdateSampler::keyed_with_seeds(0.1, SECRET);
  std::uint64_t key = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sampler->should_update(key += KEY_STEP));
  }
}
BENCHMARK(BM_sampler_keyed_u64);

void BM_sampler_keyed_bytes16(benchmark::State& state) {
  auto sampler = UpdateSampler::keyed_with_seeds(0.1, SECRET);
  std::array<std::byte, 16> flow{};  // e.g. an IPv4 5-tuple, padded
  std::uint64_t key = 0;
  for (auto _ : state) {
    key += KEY_STEP;
    flow[0] = static_cast<std::byte>(key);
    flow[9] = static_cast<std::byte>(key >> 8);
    benchmark::DoNotOptimize(sampler->should_update(std::span<const std::byte>(flow)));
  }
}
BENCHMARK(BM_sampler_keyed_bytes16);

void BM_sampler_stride(benchmark::State& state) {
  auto sampler = UpdateSampler::every(10);
  std::uint64_t key = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sampler->should_update(key += KEY_STEP));
  }
}
BENCHMARK(BM_sampler_stride);

// Admitted path: one hash, one division, one load and one CAS.
void BM_rate_cap_admit(benchmark::State& state) {
  auto cap = PrefixRateCap::create_with_key(
      PrefixRateCapConfig{PrefixRateCap::MAX_CAP_PER_WINDOW, std::chrono::seconds(1)}, SECRET);
  std::uint64_t key = 0;
  std::uint64_t now = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cap->allow(key += KEY_STEP, now += 7));
  }
}
BENCHMARK(BM_rate_cap_admit);

// Over-cap path: one hash, one division, one load, no write.
void BM_rate_cap_deny(benchmark::State& state) {
  auto cap = PrefixRateCap::create_with_key(PrefixRateCapConfig{1, std::chrono::seconds(1)},
                                            SECRET);
  std::uint64_t key = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cap->allow(key += KEY_STEP, 0));
  }
}
BENCHMARK(BM_rate_cap_deny);

void BM_rate_cap_disabled(benchmark::State& state) {
  PrefixRateCap cap = PrefixRateCap::disabled();
  std::uint64_t key = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cap.allow(key += KEY_STEP, 0));
  }
}
BENCHMARK(BM_rate_cap_disabled);

}  // namespace
