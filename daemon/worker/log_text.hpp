#pragma once
// Client-supplied text in a log line (tenant and stream names, alert ids, notes): every
// byte outside printable ASCII, and the quote and backslash, becomes \xHH, so a name
// cannot end a line, forge a key=value field or carry terminal escapes, and at most
// MAX_LOGGED_BYTES of it are written (the rest is summarised as "...(+N)").

#include <cstddef>
#include <string>
#include <string_view>

namespace anomstream::daemon {

inline constexpr std::size_t MAX_LOGGED_BYTES = 256;

inline std::string escape_for_log(std::string_view text) {
  static constexpr char HEX[] = "0123456789abcdef";
  std::string out;
  const std::size_t shown = text.size() < MAX_LOGGED_BYTES ? text.size() : MAX_LOGGED_BYTES;
  out.reserve(shown);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out.push_back(HEX[c >> 4]);
      out.push_back(HEX[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (shown < text.size()) out += "...(+" + std::to_string(text.size() - shown) + ")";
  return out;
}

}  // namespace anomstream::daemon
