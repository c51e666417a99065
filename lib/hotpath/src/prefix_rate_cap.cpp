#include "anomstream/hotpath/prefix_rate_cap.hpp"

#include <string>
#include <utility>

#include "anomstream/core/secret_key.hpp"

namespace anomstream::hotpath {
namespace {

Status validate(const PrefixRateCapConfig& config) {
  if (auto ok = require_in_range<std::uint64_t>(config.cap_per_window, 1,
                                                PrefixRateCap::MAX_CAP_PER_WINDOW,
                                                "cap_per_window");
      !ok) {
    return ok;
  }
  if (config.window.count() < 1) {
    return fail(ErrorCode::invalid_config, "window",
                "must be >= 1 ns (got " + std::to_string(config.window.count()) + " ns)");
  }
  return {};
}

}  // namespace

PrefixRateCap::PrefixRateCap(std::unique_ptr<Bucket[]> buckets, std::uint64_t cap,
                             std::uint64_t window_ns, SipKey key) noexcept
    : buckets_(std::move(buckets)), cap_(cap), window_(window_ns), key_(key) {}

Result<PrefixRateCap> PrefixRateCap::create(const PrefixRateCapConfig& config) {
  if (auto ok = validate(config); !ok) {
    return std::unexpected(ok.error());
  }
  auto secret = draw_secret_key();
  if (!secret) {
    return std::unexpected(secret.error());
  }
  return create_with_key(config, *secret);
}

Result<PrefixRateCap> PrefixRateCap::create_with_key(const PrefixRateCapConfig& config,
                                                     SipKey secret) {
  if (auto ok = validate(config); !ok) {
    return std::unexpected(ok.error());
  }
  return PrefixRateCap(std::make_unique<Bucket[]>(BUCKETS), config.cap_per_window,
                       static_cast<std::uint64_t>(config.window.count()), secret);
}

PrefixRateCap PrefixRateCap::disabled() noexcept {
  return PrefixRateCap(nullptr, 0, 1, SipKey{});
}

}  // namespace anomstream::hotpath
