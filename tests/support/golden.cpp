#include "golden.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "test_paths.hpp"

namespace anomstream::test {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) return cells;
    start = comma + 1;
  }
}

std::string format(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

}  // namespace

CsvTable CsvTable::read(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path.string());
  CsvTable t;
  t.path_ = path;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      t.comments_.push_back(line);
      continue;
    }
    if (t.header_.empty()) {
      t.header_ = split(line);
    } else {
      t.rows_.push_back(split(line));
    }
  }
  REQUIRE_MESSAGE(!t.header_.empty(), path.string() << " has no header row");
  return t;
}

bool CsvTable::has_column(std::string_view name) const {
  return std::find(header_.begin(), header_.end(), name) != header_.end();
}

std::size_t CsvTable::column(std::string_view name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  REQUIRE_MESSAGE(it != header_.end(), path_.string() << " has no column " << std::string(name));
  return static_cast<std::size_t>(it - header_.begin());
}

const std::string& CsvTable::cell(std::size_t row, std::size_t column) const {
  REQUIRE_MESSAGE(row < rows_.size(), path_.string() << " has no row " << row);
  REQUIRE_MESSAGE(column < rows_[row].size(),
                  path_.string() << " row " << row << " has no column " << column);
  return rows_[row][column];
}

double CsvTable::number(std::size_t row, std::size_t column) const {
  const std::string& text = cell(row, column);
  if (text == "nan" || text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  double v = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  REQUIRE_MESSAGE((ec == std::errc{} && end == text.data() + text.size()),
                  path_.string() << " row " << row << ": not a number: " << text);
  return v;
}

std::int64_t CsvTable::integer(std::size_t row, std::string_view name) const {
  const std::string& text = cell(row, column(name));
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  REQUIRE_MESSAGE((ec == std::errc{} && end == text.data() + text.size()),
                  path_.string() << " row " << row << ": not an integer: " << text);
  return v;
}

std::vector<double> CsvTable::numbers(std::string_view name) const {
  const std::size_t c = column(name);
  std::vector<double> out;
  out.reserve(rows_.size());
  for (std::size_t r = 0; r < rows_.size(); ++r) out.push_back(number(r, c));
  return out;
}

std::optional<std::filesystem::path> golden_set(std::string_view set) {
  std::string relative = "golden/";
  relative += set;
  auto dir = shared_path(relative);
  if (!dir) MESSAGE("skipped: ../shared/" << relative << " is not present");
  return dir;
}

std::vector<std::string> golden_cases(const std::filesystem::path& set_dir) {
  std::vector<std::string> cases;
  if (std::filesystem::exists(set_dir / "expected.csv")) {
    const CsvTable manifest = CsvTable::read(set_dir / "expected.csv");
    const std::size_t c = manifest.column("case");
    for (std::size_t r = 0; r < manifest.rows(); ++r) cases.push_back(manifest.cell(r, c));
  } else {
    for (const auto& entry : std::filesystem::directory_iterator(set_dir / "inputs")) {
      if (entry.path().extension() == ".csv") cases.push_back(entry.path().stem().string());
    }
    std::sort(cases.begin(), cases.end());
  }
  REQUIRE_MESSAGE(!cases.empty(), set_dir.string() << " lists no case");
  return cases;
}

bool agrees(double got, double want, double tolerance) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
  if (std::isinf(want) || std::isinf(got)) return got == want;
  return std::abs(got - want) <= tolerance * std::max(std::abs(want), 1e-300);
}

void FirstDifference::note(std::string_view case_name, std::size_t row, std::string_view what,
                           double got, double want) {
  note(case_name, row, what, format(got), format(want));
}

void FirstDifference::note(std::string_view case_name, std::size_t row, std::string_view what,
                           std::string_view got, std::string_view want) {
  if (count_++ > 0) return;
  std::ostringstream out;
  out << "case " << case_name << ", row " << row << ", " << what << ": got " << got
      << ", reference " << want;
  first_ = out.str();
}

std::string FirstDifference::describe() const {
  if (count_ == 0) return "no difference";
  return "first difference: " + first_ + " (" + std::to_string(count_) + " differences)";
}

}  // namespace anomstream::test
