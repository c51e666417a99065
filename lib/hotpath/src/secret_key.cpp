#include "anomstream/hotpath/secret_key.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace anomstream::hotpath {

Result<SipKey> draw_secret_key() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(ErrorCode::io_error, "getrandom",
                  std::string("16 bytes of OS entropy (") + std::strerror(errno) + ")");
    }
    filled += static_cast<std::size_t>(got);
  }
  SipKey key;
  std::memcpy(&key.k0, bytes.data(), 8);
  std::memcpy(&key.k1, bytes.data() + 8, 8);
  return key;
}

}  // namespace anomstream::hotpath
