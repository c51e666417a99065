#pragma once
// Streaming reader of TSB-AD CSV files, one row at a time.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/eval/tsb_ad_file_name.hpp"

namespace anomstream::eval {

// One data row. `features` points into the reader and is valid until its next call.
struct TsbAdRow {
  std::span<const double> features;
  std::uint8_t label = 0;
  std::size_t line = 0;  // 1-based line of the file (the header is line 1)
};

// Reads a TSB-AD CSV (TSB-AD-M: N feature columns then `Label`; TSB-AD-U: `Data,Label`;
// Liu & Paparrizos, NeurIPS 2024) row by row, holding one line of text and one row of
// values at a time, so files of any length stream in O(N) memory. `open` reads and
// checks the header; `next` parses and checks one row.
//
// Format accepted: comma-separated, `\n` or `\r\n` line ends, a header row whose last
// cell is `Label` (surrounding spaces and double quotes of header cells are ignored)
// after at least one feature column; data cells are decimal numbers (as
// std::from_chars reads them, a leading '+' allowed, surrounding spaces ignored) and
// the label is 0 or 1 (`1.0` accepted). Blank lines are skipped, as pandas does.
//
// Failure modes, each naming the file, the line and, for a cell, the 1-based column
// and its header name, with the text found: the file cannot be opened or read
// (ErrorCode::io_error); an empty file, a header without `Label` last or without a
// feature column, a row with a different number of cells than the header, a cell that
// is not a finite number, a label other than 0 or 1 (ErrorCode::parse_error). Where
// TSB-AD's pandas loader would silently drop a row with an empty or NaN cell
// (`dropna()`), this reader fails: such a file is not a TSB-AD file.
class TsbAdRowReader {
 public:
  [[nodiscard]] static Result<TsbAdRowReader> open(const std::filesystem::path& path);

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  // `tr` and `1st` parsed from the file name, when present.
  [[nodiscard]] const TsbAdFileName& file_name() const noexcept { return file_name_; }
  [[nodiscard]] const std::vector<std::string>& feature_names() const noexcept {
    return feature_names_;
  }
  [[nodiscard]] std::size_t features() const noexcept { return feature_names_.size(); }
  // Data rows returned so far.
  [[nodiscard]] std::size_t rows_read() const noexcept { return rows_read_; }

  // The next data row, std::nullopt at the end of the file, or the error that stops the
  // read (the reader is then spent).
  [[nodiscard]] Result<std::optional<TsbAdRow>> next();

 private:
  TsbAdRowReader() = default;
  // Reads the next line into line_ (without its line end); false at the end of file.
  [[nodiscard]] Result<bool> read_line();
  [[nodiscard]] std::string where(std::size_t column) const;

  std::filesystem::path path_;
  std::string display_name_;
  TsbAdFileName file_name_;
  std::ifstream in_;
  std::vector<std::string> feature_names_;
  std::string line_;
  std::vector<double> values_;
  std::size_t line_number_ = 0;
  std::size_t rows_read_ = 0;
};

}  // namespace anomstream::eval
