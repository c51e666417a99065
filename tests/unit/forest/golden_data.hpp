#pragma once
// Reads the reference streams and scores under ../shared/golden/rcf (see its README) and
// computes the statistics the conformance tests and docs/conformance_rcf.md compare.

#include <charconv>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace anomstream::test {

struct GoldenStream {
  std::size_t dimension = 0;
  std::vector<double> values;  // row-major, dimension per row
  std::vector<int> labels;
  std::vector<double> reference_scores;
  [[nodiscard]] std::size_t rows() const { return labels.size(); }
};

// Parses the numeric fields of a CSV with one header line; `columns` per row.
inline std::optional<std::vector<double>> read_csv_numbers(const std::filesystem::path& path,
                                                           std::size_t columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end && *p != '\n') {
    ++p;  // header
  }
  std::vector<double> out;
  out.reserve(text.size() / 8);
  std::size_t field = 0;
  while (p < end) {
    while (p < end && (*p == '\n' || *p == '\r' || *p == ',')) {
      ++p;
    }
    if (p >= end) {
      break;
    }
    double v = 0.0;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc()) {
      return std::nullopt;
    }
    out.push_back(v);
    ++field;
    p = next;
  }
  if (field % columns != 0) {
    return std::nullopt;
  }
  return out;
}

inline std::optional<GoldenStream> read_golden(const std::filesystem::path& dir,
                                               std::size_t dimension) {
  const std::string d = std::to_string(dimension);
  auto stream = read_csv_numbers(dir / ("stream_D" + d + ".csv"), dimension + 1);
  auto scores = read_csv_numbers(dir / ("reference_scores_D" + d + ".csv"), 3);
  if (!stream || !scores) {
    return std::nullopt;
  }
  GoldenStream g;
  g.dimension = dimension;
  const std::size_t rows = stream->size() / (dimension + 1);
  if (scores->size() / 3 != rows) {
    return std::nullopt;
  }
  g.values.reserve(rows * dimension);
  for (std::size_t r = 0; r < rows; ++r) {
    const double* row = stream->data() + r * (dimension + 1);
    g.values.insert(g.values.end(), row, row + dimension);
    g.labels.push_back(static_cast<int>(row[dimension]));
    g.reference_scores.push_back((*scores)[r * 3 + 1]);
  }
  return g;
}

}  // namespace anomstream::test
