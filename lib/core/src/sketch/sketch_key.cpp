#include "anomstream/sketch/sketch_key.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "anomstream/core/random.hpp"

namespace anomstream::sketch {

SipKey key_from_seed(std::uint64_t seed) noexcept {
  Xoshiro256 rng(seed);
  const std::uint64_t k0 = rng();
  const std::uint64_t k1 = rng();
  return SipKey{k0, k1};
}

Result<SipKey> key_from_os() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(ErrorCode::io_error, "key",
                  std::string("getrandom(2) failed: ") + std::strerror(errno));
    }
    filled += static_cast<std::size_t>(got);
  }
  SipKey key;
  std::memcpy(&key.k0, bytes.data(), 8);
  std::memcpy(&key.k1, bytes.data() + 8, 8);
  return key;
}

Result<SipKey> resolve_key(const std::optional<SipKey>& configured) {
  if (configured) {
    return *configured;
  }
  return key_from_os();
}

}  // namespace anomstream::sketch
