#include "anomstream/hotpath/update_sampler.hpp"

#include <cmath>
#include <string>

#include "anomstream/core/secret_key.hpp"

namespace anomstream::hotpath {
namespace {

constexpr double TWO_POW_63 = 9223372036854775808.0;

std::uint64_t threshold_for(double rate) noexcept {
  if (rate >= 1.0) {
    return std::uint64_t{1} << 63;
  }
  // rate < 1 so the product is < 2^63 and converts exactly to an integer below it.
  return static_cast<std::uint64_t>(std::floor(rate * TWO_POW_63));
}

}  // namespace

UpdateSampler::UpdateSampler(Mode mode, std::uint64_t stride, double rate, SipKey key) noexcept
    : mode_(mode),
      stride_(stride),
      threshold_(mode == Mode::keyed ? threshold_for(rate) : 0),
      rate_(rate),
      key_(key) {}

UpdateSampler::UpdateSampler(UpdateSampler&& other) noexcept
    : counter_(other.counter_.load(std::memory_order_relaxed)),
      mode_(other.mode_),
      stride_(other.stride_),
      threshold_(other.threshold_),
      rate_(other.rate_),
      key_(other.key_) {}

UpdateSampler& UpdateSampler::operator=(UpdateSampler&& other) noexcept {
  counter_.store(other.counter_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  mode_ = other.mode_;
  stride_ = other.stride_;
  threshold_ = other.threshold_;
  rate_ = other.rate_;
  key_ = other.key_;
  return *this;
}

Result<UpdateSampler> UpdateSampler::every(std::uint64_t n) {
  if (n == 0) {
    return fail(ErrorCode::invalid_config, "stride", "must be >= 1 (got 0)");
  }
  return UpdateSampler(Mode::stride, n, 1.0 / static_cast<double>(n), SipKey{});
}

Result<UpdateSampler> UpdateSampler::keyed(double rate) {
  if (auto ok = require_in_range(rate, 0.0, 1.0, "rate"); !ok) {
    return std::unexpected(ok.error());
  }
  auto secret = draw_secret_key();
  if (!secret) {
    return std::unexpected(secret.error());
  }
  return UpdateSampler(Mode::keyed, 0, rate, *secret);
}

Result<UpdateSampler> UpdateSampler::keyed_with_seeds(double rate, SipKey secret) {
  if (auto ok = require_in_range(rate, 0.0, 1.0, "rate"); !ok) {
    return std::unexpected(ok.error());
  }
  return UpdateSampler(Mode::keyed, 0, rate, secret);
}

}  // namespace anomstream::hotpath
