#pragma once
// Reading the shared reference vectors (../shared/golden/<set>, see its README): a
// set's folder, its cases as its manifest lists them, CSV tables with a header row, and
// the first difference between a run and the reference, reported with case, row and
// values.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anomstream::test {

// A CSV file with a header row. Lines starting with '#' are kept apart as comments;
// empty lines are skipped. Lookups of a missing column or cell fail the test.
class CsvTable {
 public:
  static CsvTable read(const std::filesystem::path& path);

  [[nodiscard]] const std::vector<std::string>& header() const { return header_; }
  [[nodiscard]] const std::vector<std::string>& comments() const { return comments_; }
  [[nodiscard]] std::size_t rows() const { return rows_.size(); }
  [[nodiscard]] std::size_t column(std::string_view name) const;
  [[nodiscard]] bool has_column(std::string_view name) const;
  [[nodiscard]] const std::string& cell(std::size_t row, std::size_t column) const;
  [[nodiscard]] const std::string& cell(std::size_t row, std::string_view name) const {
    return cell(row, column(name));
  }
  // Numbers as the references print them: round-trip decimals, `nan`, `inf`, `-inf`.
  [[nodiscard]] double number(std::size_t row, std::size_t column) const;
  [[nodiscard]] double number(std::size_t row, std::string_view name) const {
    return number(row, column(name));
  }
  [[nodiscard]] std::int64_t integer(std::size_t row, std::string_view name) const;
  // One column as numbers.
  [[nodiscard]] std::vector<double> numbers(std::string_view name) const;

 private:
  std::filesystem::path path_;
  std::vector<std::string> header_;
  std::vector<std::string> comments_;
  std::vector<std::vector<std::string>> rows_;
};

// The folder of golden set `set` (e.g. "adwin", "spot/libspot_dspot"); nullopt when it
// is absent, which fails the running test when ANOMSTREAM_REQUIRE_SHARED=1.
std::optional<std::filesystem::path> golden_set(std::string_view set);

// The cases of a set as its manifest names them: the `case` column of expected.csv, or,
// where a set has no manifest, the stems of inputs/*.csv in name order.
std::vector<std::string> golden_cases(const std::filesystem::path& set_dir);

// Relative agreement, |got - want| <= tolerance * |want| (absolute below |want| = 1e-300);
// NaN agrees only with NaN and an infinity only with itself.
bool agrees(double got, double want, double tolerance);

// Keeps the first difference of a conformance run and counts them all.
class FirstDifference {
 public:
  void note(std::string_view case_name, std::size_t row, std::string_view what, double got,
            double want);
  void note(std::string_view case_name, std::size_t row, std::string_view what,
            std::string_view got, std::string_view want);
  [[nodiscard]] std::size_t count() const { return count_; }
  // "no difference", or the first: case, row, what, both values, and how many in all.
  [[nodiscard]] std::string describe() const;

 private:
  std::size_t count_ = 0;
  std::string first_;
};

}  // namespace anomstream::test
