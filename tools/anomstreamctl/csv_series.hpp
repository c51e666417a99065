#pragma once
// A TSB-AD CSV held as a row-major matrix of features and a label per row, loaded with
// the library's TsbAdMDataset reader (which names line and column on malformed input).

#include <expected>
#include <string>
#include <vector>

namespace anomstream::tools {

struct CsvSeries {
  std::size_t columns = 0;
  std::vector<double> values;  // rows * columns, row-major
  std::vector<bool> labels;
  [[nodiscard]] std::size_t rows() const { return labels.size(); }
  [[nodiscard]] double value(std::size_t row, std::size_t column) const { return values[row * columns + column]; }
};

std::expected<CsvSeries, std::string> load_csv_series(const std::string& path);

}  // namespace anomstream::tools
