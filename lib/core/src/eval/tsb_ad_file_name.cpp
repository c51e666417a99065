#include "anomstream/eval/tsb_ad_file_name.hpp"

#include <charconv>

namespace anomstream::eval {

namespace {

std::optional<std::size_t> parse_digits(std::string_view token) noexcept {
  if (token.empty()) {
    return std::nullopt;
  }
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc{} || end != token.data() + token.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

TsbAdFileName parse_tsb_ad_file_name(std::string_view name) noexcept {
  if (const auto slash = name.find_last_of('/'); slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  name = name.substr(0, name.find('.'));
  TsbAdFileName fields;
  std::string_view previous;
  while (!name.empty()) {
    const auto cut = name.find('_');
    const std::string_view token = name.substr(0, cut);
    if (previous == "tr") {
      if (auto value = parse_digits(token)) {
        fields.train_end = value;
      }
    } else if (previous == "1st") {
      if (auto value = parse_digits(token)) {
        fields.first_anomaly = value;
      }
    }
    previous = token;
    if (cut == std::string_view::npos) {
      break;
    }
    name.remove_prefix(cut + 1);
  }
  return fields;
}

}  // namespace anomstream::eval
