#pragma once
// Reader of the shared VUS golden vectors (../shared/golden/vus, see its README):
// expected.csv, expected_per_window.csv and the `label,score` inputs.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/eval/anomaly_ranges.hpp"

namespace anomstream::eval::golden {

struct Case {
  std::string name;
  std::string input;
  std::size_t n = 0;
  std::size_t window = 0;
  std::size_t anomaly_points = 0;
  std::size_t anomaly_ranges = 0;
  double vus_pr = 0, vus_roc = 0, r_auc_pr = 0, r_auc_roc = 0;
  double auc_pr = 0, auc_roc = 0, auc_pr_trapz = 0;
};

struct Input {
  std::vector<std::uint8_t> labels;
  std::vector<double> scores;
};

struct WindowValues {
  double roc = 0;
  double pr = 0;
};

// Golden cases whose input file does not match the case's own n / n_anom_points /
// n_anom_ranges columns, so their expected values cannot come from that input:
// shared_vus_012's input has 211 anomaly points where its row (and every expected
// value) has 141. Such a case is reported, not checked, and the tests fail if any
// other case turns out inconsistent.
inline const std::set<std::string> KNOWN_INCONSISTENT = {"shared_vus_012"};

inline std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  while (true) {
    const auto comma = line.find(',');
    cells.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) {
      return cells;
    }
    line.remove_prefix(comma + 1);
  }
}

template <class T>
T number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw std::runtime_error("golden: not a number: " + std::string(text));
  }
  return value;
}

inline std::vector<std::string> lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("golden: cannot open " + path.string());
  }
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

inline std::vector<Case> read_cases(const std::filesystem::path& dir) {
  const auto rows = lines(dir / "expected.csv");
  std::vector<Case> cases;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto c = split(rows[i]);
    Case gc;
    gc.name = std::string(c.at(0));
    gc.input = std::string(c.at(1));
    gc.n = number<std::size_t>(c.at(2));
    gc.window = number<std::size_t>(c.at(3));
    gc.anomaly_points = number<std::size_t>(c.at(7));
    gc.anomaly_ranges = number<std::size_t>(c.at(8));
    gc.vus_pr = number<double>(c.at(9));
    gc.vus_roc = number<double>(c.at(10));
    gc.r_auc_pr = number<double>(c.at(11));
    gc.r_auc_roc = number<double>(c.at(12));
    gc.auc_pr = number<double>(c.at(13));
    gc.auc_roc = number<double>(c.at(14));
    gc.auc_pr_trapz = number<double>(c.at(15));
    cases.push_back(std::move(gc));
  }
  return cases;
}

// case -> values for w = 0..window, in order.
inline std::map<std::string, std::vector<WindowValues>> read_per_window(
    const std::filesystem::path& dir) {
  const auto rows = lines(dir / "expected_per_window.csv");
  std::map<std::string, std::vector<WindowValues>> out;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto c = split(rows[i]);
    auto& values = out[std::string(c.at(0))];
    if (number<std::size_t>(c.at(1)) != values.size()) {
      throw std::runtime_error("golden: per-window rows out of order at line " +
                               std::to_string(i + 1));
    }
    values.push_back({number<double>(c.at(2)), number<double>(c.at(3))});
  }
  return out;
}

inline Input read_input(const std::filesystem::path& path) {
  const auto rows = lines(path);
  Input input;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto c = split(rows[i]);
    input.labels.push_back(number<std::uint8_t>(c.at(0)));
    input.scores.push_back(number<double>(c.at(1)));
  }
  return input;
}

// Whether the input agrees with the case's own length and anomaly counts.
inline bool input_matches_case(const Input& input, const Case& gc) {
  const auto ranges = anomaly_ranges(input.labels);
  std::size_t points = 0;
  for (auto label : input.labels) {
    points += label;
  }
  return ranges && input.labels.size() == gc.n && points == gc.anomaly_points &&
         ranges->size() == gc.anomaly_ranges;
}

}  // namespace anomstream::eval::golden
