#include "flat_json_reader.hpp"

#include <cctype>
#include <charconv>

namespace anomstream::triage::detail {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

Status FlatJsonReader::expect(char c) {
  skip_space();
  if (pos_ >= text_.size() || text_[pos_] != c) {
    return error(std::string("expected '") + c + "'");
  }
  ++pos_;
  return {};
}

bool FlatJsonReader::peek(char c) {
  skip_space();
  return pos_ < text_.size() && text_[pos_] == c;
}

Result<std::string> FlatJsonReader::string_value() {
  if (auto s = expect('"'); !s) return std::unexpected(s.error());
  std::string out;
  while (pos_ < text_.size()) {
    const char c = text_[pos_++];
    if (c == '"') return out;
    if (static_cast<unsigned char>(c) < 0x20) return error("control character in string");
    if (c != '\\') {
      out += c;
      continue;
    }
    if (pos_ >= text_.size()) break;
    const char e = text_[pos_++];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto cp = hex4();
        if (!cp) return std::unexpected(cp.error());
        std::uint32_t code = *cp;
        if (code >= 0xD800 && code <= 0xDBFF) {
          if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
            return error("unpaired surrogate");
          }
          pos_ += 2;
          auto low = hex4();
          if (!low || *low < 0xDC00 || *low > 0xDFFF) return error("unpaired surrogate");
          code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
        } else if (code >= 0xDC00 && code <= 0xDFFF) {
          return error("unpaired surrogate");
        }
        append_utf8(out, code);
        break;
      }
      default: return error("bad escape");
    }
  }
  return error("unterminated string");
}

Result<std::int64_t> FlatJsonReader::integer_value() {
  skip_space();
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), v);
  if (ec != std::errc()) return error("expected an integer");
  pos_ = static_cast<std::size_t>(ptr - text_.data());
  return v;
}

Result<std::string_view> FlatJsonReader::number_token(bool& integral) {
  skip_space();
  const std::size_t start = pos_;
  auto digit = [&] { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; };
  auto digits = [&] {
    const std::size_t from = pos_;
    while (digit()) ++pos_;
    return pos_ > from;
  };
  integral = true;
  if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
  if (pos_ < text_.size() && text_[pos_] == '0') {
    ++pos_;
  } else if (!digits()) {
    pos_ = start;
    return error("expected a number");
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    integral = false;
    ++pos_;
    if (!digits()) return error("expected digits after '.'");
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    integral = false;
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (!digits()) return error("expected digits in the exponent");
  }
  // "01", "1.2.3", "1x": the number must end at a delimiter.
  if (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) != 0 ||
                              text_[pos_] == '.' || text_[pos_] == '+' || text_[pos_] == '-')) {
    return error("malformed number");
  }
  return text_.substr(start, pos_ - start);
}

Result<double> FlatJsonReader::number_value() {
  bool integral = false;
  auto token = number_token(integral);
  if (!token) return std::unexpected(token.error());
  double v = 0;
  auto [ptr, ec] = std::from_chars(token->data(), token->data() + token->size(), v);
  if (ec != std::errc() || ptr != token->data() + token->size()) return error("number out of range");
  return v;
}

Result<std::uint64_t> FlatJsonReader::unsigned_value() {
  bool integral = false;
  auto token = number_token(integral);
  if (!token) return std::unexpected(token.error());
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(token->data(), token->data() + token->size(), v);
  if (!integral || ec != std::errc() || ptr != token->data() + token->size()) {
    return error("expected an integer in [0, 2^64)");
  }
  return v;
}

bool FlatJsonReader::at_end() {
  skip_space();
  return pos_ == text_.size();
}

void FlatJsonReader::skip_space() {
  while (pos_ < text_.size() &&
         (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n')) {
    ++pos_;
  }
}

std::unexpected<Error> FlatJsonReader::error(const std::string& what) const {
  return fail(ErrorCode::parse_error, "column " + std::to_string(pos_ + 1), what);
}

Result<std::uint32_t> FlatJsonReader::hex4() {
  if (pos_ + 4 > text_.size()) return error("short \\u escape");
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = text_[pos_++];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
    else return error("bad \\u escape");
  }
  return v;
}

Result<FlatObject> parse_flat_object(std::string_view text) {
  FlatJsonReader r(text);
  FlatObject members;
  if (auto s = r.expect('{'); !s) return std::unexpected(s.error());
  while (!r.peek('}')) {
    if (!members.empty()) {
      if (auto s = r.expect(','); !s) return std::unexpected(s.error());
    }
    auto key = r.string_value();
    if (!key) return std::unexpected(key.error());
    if (auto s = r.expect(':'); !s) return std::unexpected(s.error());
    if (r.peek('"')) {
      auto value = r.string_value();
      if (!value) return std::unexpected(value.error());
      members.emplace_back(std::move(*key), std::move(*value));
    } else {
      auto value = r.integer_value();
      if (!value) return std::unexpected(value.error());
      members.emplace_back(std::move(*key), std::to_string(*value));
    }
  }
  if (auto s = r.expect('}'); !s) return std::unexpected(s.error());
  if (!r.at_end()) return fail(ErrorCode::parse_error, "object", "text after the closing brace");
  return members;
}

}  // namespace anomstream::triage::detail
