#include "anomstream/eval/tsb_ad_row_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace anomstream::eval {

namespace {

constexpr std::string_view LABEL_COLUMN = "Label";
// Longest cell text quoted back in an error message.
constexpr std::size_t MAX_QUOTED = 40;

std::string_view trim(std::string_view text) noexcept {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::string quote_cell(std::string_view text) {
  std::string out = "`";
  out += text.substr(0, MAX_QUOTED);
  if (text.size() > MAX_QUOTED) {
    out += "...";
  }
  out += "`";
  return out;
}

// A whole cell as a finite double, or nullopt.
std::optional<double> parse_number(std::string_view cell) noexcept {
  if (!cell.empty() && cell.front() == '+') {
    cell.remove_prefix(1);
    if (!cell.empty() && (cell.front() == '-' || cell.front() == '+')) {
      return std::nullopt;
    }
  }
  if (cell.empty()) {
    return std::nullopt;
  }
  double value = 0.0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc{} || end != cell.data() + cell.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Calls visit(index, cell) for each comma-separated cell of `line`.
template <class Visit>
void for_each_cell(std::string_view line, Visit&& visit) {
  std::size_t index = 0;
  while (true) {
    const auto comma = line.find(',');
    visit(index++, line.substr(0, comma));
    if (comma == std::string_view::npos) {
      return;
    }
    line.remove_prefix(comma + 1);
  }
}

}  // namespace

Result<TsbAdRowReader> TsbAdRowReader::open(const std::filesystem::path& path) {
  TsbAdRowReader reader;
  reader.path_ = path;
  reader.display_name_ = path.filename().string();
  reader.file_name_ = parse_tsb_ad_file_name(reader.display_name_);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(ErrorCode::io_error, path.string(), "must be a readable regular file");
  }
  reader.in_.open(path, std::ios::binary);
  if (!reader.in_) {
    return fail(ErrorCode::io_error, path.string(), "cannot be opened for reading");
  }

  Result<bool> header = false;
  do {
    header = reader.read_line();
    if (!header) {
      return std::unexpected(header.error());
    }
  } while (*header && trim(reader.line_).empty());
  if (!*header) {
    return fail(ErrorCode::parse_error, reader.display_name_,
                "must start with a header row ending in `Label` (the file is empty)");
  }
  std::vector<std::string> names;
  for_each_cell(reader.line_, [&names](std::size_t, std::string_view cell) {
    cell = trim(cell);
    if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"') {
      cell = cell.substr(1, cell.size() - 2);
    }
    names.emplace_back(cell);
  });
  if (names.back() != LABEL_COLUMN) {
    return fail(ErrorCode::parse_error,
                reader.display_name_ + " line " + std::to_string(reader.line_number_) +
                    " (header)",
                "last column must be `Label` (found " + quote_cell(names.back()) + ")");
  }
  if (names.size() < 2) {
    return fail(ErrorCode::parse_error,
                reader.display_name_ + " line " + std::to_string(reader.line_number_) +
                    " (header)",
                "needs at least one feature column before `Label`");
  }
  names.pop_back();
  reader.feature_names_ = std::move(names);
  reader.values_.resize(reader.feature_names_.size());
  return reader;
}

Result<bool> TsbAdRowReader::read_line() {
  if (!std::getline(in_, line_)) {
    if (in_.bad()) {
      return fail(ErrorCode::io_error, display_name_ + " line " + std::to_string(line_number_ + 1),
                  "read failed");
    }
    return false;
  }
  ++line_number_;
  if (!line_.empty() && line_.back() == '\r') {
    line_.pop_back();
  }
  return true;
}

std::string TsbAdRowReader::where(std::size_t column) const {
  const std::string_view name =
      column < feature_names_.size() ? std::string_view(feature_names_[column]) : LABEL_COLUMN;
  return display_name_ + " line " + std::to_string(line_number_) + ", column " +
         std::to_string(column + 1) + " (" + std::string(name) + ")";
}

Result<std::optional<TsbAdRow>> TsbAdRowReader::next() {
  while (true) {
    auto got = read_line();
    if (!got) {
      return std::unexpected(got.error());
    }
    if (!*got) {
      return std::optional<TsbAdRow>{};
    }
    if (!trim(line_).empty()) {
      break;
    }
  }
  const std::size_t columns = feature_names_.size() + 1;
  const auto cells = static_cast<std::size_t>(std::count(line_.begin(), line_.end(), ',')) + 1;
  if (cells != columns) {
    return fail(ErrorCode::parse_error, display_name_ + " line " + std::to_string(line_number_),
                "must have " + std::to_string(columns) + " cells like the header (found " +
                    std::to_string(cells) + ")");
  }
  std::optional<Error> error;
  std::uint8_t label = 0;
  for_each_cell(line_, [&](std::size_t column, std::string_view cell) {
    if (error) {
      return;
    }
    cell = trim(cell);
    const auto value = parse_number(cell);
    if (column < values_.size()) {
      if (!value) {
        error = Error{ErrorCode::parse_error, where(column),
                      "must be a finite number (found " + quote_cell(cell) + ")"};
        return;
      }
      values_[column] = *value;
    } else if (value && (*value == 0.0 || *value == 1.0)) {
      label = *value == 1.0 ? 1 : 0;
    } else {
      error = Error{ErrorCode::parse_error, where(column),
                    "must be 0 or 1 (found " + quote_cell(cell) + ")"};
    }
  });
  if (error) {
    return std::unexpected(std::move(*error));
  }
  ++rows_read_;
  return std::optional<TsbAdRow>{TsbAdRow{values_, label, line_number_}};
}

}  // namespace anomstream::eval
