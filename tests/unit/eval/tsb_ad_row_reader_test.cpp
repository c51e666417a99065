#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "anomstream/eval/tsb_ad_row_reader.hpp"
#include "temp_csv.hpp"

using anomstream::ErrorCode;
using anomstream::eval::TsbAdRowReader;
using anomstream::eval::test::TempDir;

namespace {

// Reads every row; returns the first error's message, or "" when the file reads clean.
std::string read_all(const std::filesystem::path& path, std::size_t* rows = nullptr) {
  auto reader = TsbAdRowReader::open(path);
  if (!reader) {
    return reader.error().message();
  }
  while (true) {
    auto row = reader->next();
    if (!row) {
      return row.error().message();
    }
    if (!*row) {
      break;
    }
  }
  if (rows != nullptr) {
    *rows = reader->rows_read();
  }
  return "";
}

}  // namespace

TEST_CASE("the row reader streams features, labels and line numbers") {
  TempDir dir;
  const auto path = dir.write("007_X_id_1_Y_tr_2_1st_1.csv",
                              "a, b ,Label\r\n0.5,-1e-05,0\r\n\r\n+3,8127.0,1\n 7 ,.25,1.0\n");
  auto reader = TsbAdRowReader::open(path);
  REQUIRE(reader);
  CHECK(reader->features() == 2);
  CHECK(reader->feature_names() == std::vector<std::string>{"a", "b"});
  CHECK(reader->file_name().train_end == 2);
  CHECK(reader->file_name().first_anomaly == 1);

  std::vector<std::vector<double>> values;
  std::vector<int> labels;
  std::vector<std::size_t> lines;
  while (true) {
    auto row = reader->next();
    REQUIRE(row);
    if (!*row) break;
    values.emplace_back((*row)->features.begin(), (*row)->features.end());
    labels.push_back((*row)->label);
    lines.push_back((*row)->line);
  }
  CHECK(values == std::vector<std::vector<double>>{{0.5, -1e-05}, {3.0, 8127.0}, {7.0, 0.25}});
  CHECK(labels == std::vector<int>{0, 1, 1});
  CHECK(lines == std::vector<std::size_t>{2, 4, 5});  // the blank line 3 is skipped
  CHECK(reader->rows_read() == 3);
}

TEST_CASE("TSB-AD-U files (Data,Label) read the same way") {
  TempDir dir;
  std::size_t rows = 0;
  CHECK(read_all(dir.write("u.csv", "Data,Label\n47.606,0\n42.58,1\n"), &rows).empty());
  CHECK(rows == 2);
}

TEST_CASE("an empty file, a missing Label or no feature column is a header error") {
  TempDir dir;
  auto empty = TsbAdRowReader::open(dir.write("empty.csv", ""));
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == ErrorCode::parse_error);
  CHECK(empty.error().message() ==
        "parse_error: empty.csv: must start with a header row ending in `Label` (the file is "
        "empty)");
  CHECK_FALSE(TsbAdRowReader::open(dir.write("blank.csv", "\n\r\n  \n")));

  auto no_label = TsbAdRowReader::open(dir.write("nolabel.csv", "a,b,label\n1,2,0\n"));
  REQUIRE_FALSE(no_label);
  CHECK(no_label.error().message() ==
        "parse_error: nolabel.csv line 1 (header): last column must be `Label` (found `label`)");

  auto label_first = TsbAdRowReader::open(dir.write("first.csv", "Label,a\n0,1\n"));
  REQUIRE_FALSE(label_first);
  CHECK(label_first.error().bound == "last column must be `Label` (found `a`)");

  auto only_label = TsbAdRowReader::open(dir.write("only.csv", "Label\n0\n"));
  REQUIRE_FALSE(only_label);
  CHECK(only_label.error().bound == "needs at least one feature column before `Label`");

  auto missing = TsbAdRowReader::open(dir.path() / "absent.csv");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::io_error);
}

TEST_CASE("ragged rows name the line and both cell counts") {
  TempDir dir;
  CHECK(read_all(dir.write("short.csv", "a,b,Label\n1,2,0\n1,0\n")) ==
        "parse_error: short.csv line 3: must have 3 cells like the header (found 2)");
  CHECK(read_all(dir.write("long.csv", "a,b,Label\n1,2,0,9\n")) ==
        "parse_error: long.csv line 2: must have 3 cells like the header (found 4)");
}

TEST_CASE("non-numeric cells name the line, the column and the text found") {
  TempDir dir;
  CHECK(read_all(dir.write("text.csv", "x,y,Label\n1,2,0\n1,abc,0\n")) ==
        "parse_error: text.csv line 3, column 2 (y): must be a finite number (found `abc`)");
  CHECK(read_all(dir.write("empty_cell.csv", "x,y,Label\n,2,0\n")) ==
        "parse_error: empty_cell.csv line 2, column 1 (x): must be a finite number (found ``)");
  CHECK(read_all(dir.write("nan.csv", "x,Label\nnan,0\n")) ==
        "parse_error: nan.csv line 2, column 1 (x): must be a finite number (found `nan`)");
  CHECK(read_all(dir.write("inf.csv", "x,Label\n-inf,0\n")).find("found `-inf`") !=
        std::string::npos);
  CHECK(read_all(dir.write("dots.csv", "x,Label\n1.2.3,0\n")).find("found `1.2.3`") !=
        std::string::npos);
  CHECK(read_all(dir.write("signs.csv", "x,Label\n+-1,0\n")).find("found `+-1`") !=
        std::string::npos);
}

TEST_CASE("labels other than 0 or 1 are rejected with their text") {
  TempDir dir;
  CHECK(read_all(dir.write("two.csv", "x,Label\n1,2\n")) ==
        "parse_error: two.csv line 2, column 2 (Label): must be 0 or 1 (found `2`)");
  CHECK(read_all(dir.write("half.csv", "x,Label\n1,0.5\n")).find("found `0.5`") !=
        std::string::npos);
  CHECK(read_all(dir.write("word.csv", "x,Label\n1,yes\n")).find("found `yes`") !=
        std::string::npos);
}

TEST_CASE("a header-only file reads as zero rows") {
  TempDir dir;
  std::size_t rows = 99;
  CHECK(read_all(dir.write("header.csv", "a,Label\n"), &rows).empty());
  CHECK(rows == 0);
}
