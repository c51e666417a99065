#include "anomstream/core/secret_key.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "anomstream/core/random.hpp"

namespace anomstream {
namespace {

std::ptrdiff_t os_entropy(std::span<std::byte> buffer) {
  const ssize_t got = ::getrandom(buffer.data(), buffer.size(), 0);
  return got < 0 ? -errno : got;
}

}  // namespace

Result<SipKey> draw_secret_key() { return draw_secret_key_from(os_entropy); }

Result<SipKey> draw_secret_key_from(const EntropySource& source) {
  std::array<std::byte, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const std::span<std::byte> rest = std::span(bytes).subspan(filled);
    const std::ptrdiff_t got = source(rest);
    if (got == -EINTR) continue;
    if (got < 0) {
      return fail(ErrorCode::io_error, "secret_key",
                  "16 bytes from getrandom(2), which failed: " + std::string(std::strerror(static_cast<int>(-got))));
    }
    if (got == 0 || static_cast<std::size_t>(got) > rest.size()) {
      return fail(ErrorCode::io_error, "secret_key",
                  "16 bytes from getrandom(2), which returned " + std::to_string(got) + " of " +
                      std::to_string(rest.size()));
    }
    filled += static_cast<std::size_t>(got);
  }
  SipKey key;
  std::memcpy(&key.k0, bytes.data(), 8);
  std::memcpy(&key.k1, bytes.data() + 8, 8);
  return key;
}

Result<SipKey> resolve_key(const std::optional<SipKey>& configured) {
  if (configured) return *configured;
  return draw_secret_key();
}

SipKey key_from_seed(std::uint64_t seed) noexcept {
  Xoshiro256 rng(seed);
  const std::uint64_t k0 = rng();
  const std::uint64_t k1 = rng();
  return SipKey{k0, k1};
}

}  // namespace anomstream
