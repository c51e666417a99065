#pragma once
// Test-side references for the matrix profile: a dense O(l^2 m) computation with
// stumpy's conventions, written the obvious way (z-normalise each window, take the
// Euclidean distance) so it shares no code or formula with the STOMP kernel, and a
// reader for the shared golden CSV files.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "anomstream/timeseries/diagonal_executor.hpp"

namespace mp_test {

inline constexpr double INF = std::numeric_limits<double>::infinity();

// Runs the tasks on `threads` std::threads (the library itself never creates one).
class ThreadExecutor final : public anomstream::timeseries::DiagonalExecutor {
 public:
  explicit ThreadExecutor(std::size_t threads) : threads_(threads) {}
  [[nodiscard]] std::size_t concurrency() const noexcept override { return threads_; }
  void parallel_for(std::size_t count, const std::function<void(std::size_t)>& task) override {
    std::vector<std::thread> workers;
    workers.reserve(count);
    for (std::size_t t = 0; t < count; ++t) {
      workers.emplace_back([&task, t] { task(t); });
    }
    for (auto& w : workers) {
      w.join();
    }
  }

 private:
  std::size_t threads_;
};

// Brute-force self-join with stumpy's rules, every pair computed from scratch.
class DenseProfile {
 public:
  DenseProfile(const std::vector<double>& series, std::size_t m)
      : x_(series), m_(m), l_(series.size() - m + 1), excl_((m + 3) / 4) {
    z_.assign(l_, std::vector<double>(m_, 0.0));
    finite_.assign(l_, true);
    flat_.assign(l_, false);
    for (std::size_t i = 0; i < l_; ++i) {
      double sum = 0.0;
      for (std::size_t k = 0; k < m_; ++k) {
        finite_[i] = finite_[i] && std::isfinite(x_[i + k]);
        sum += x_[i + k];
      }
      if (!finite_[i]) {
        continue;
      }
      const double mean = sum / static_cast<double>(m_);
      double ss = 0.0;
      for (std::size_t k = 0; k < m_; ++k) {
        ss += (x_[i + k] - mean) * (x_[i + k] - mean);
      }
      const double sd = std::sqrt(ss / static_cast<double>(m_));
      flat_[i] = sd < 1e-7;
      for (std::size_t k = 0; k < m_; ++k) {
        z_[i][k] = flat_[i] ? 0.0 : (x_[i + k] - mean) / sd;
      }
    }
  }

  [[nodiscard]] std::size_t size() const { return l_; }
  [[nodiscard]] std::size_t exclusion_zone() const { return excl_; }
  [[nodiscard]] bool finite(std::size_t i) const { return finite_[i]; }

  // Distance between windows i and j, ignoring the exclusion zone.
  [[nodiscard]] double distance(std::size_t i, std::size_t j) const {
    if (!finite_[i] || !finite_[j]) {
      return INF;
    }
    if (flat_[i] && flat_[j]) {
      return 0.0;
    }
    if (flat_[i] || flat_[j]) {
      return std::sqrt(static_cast<double>(m_));
    }
    double d2 = 0.0;
    for (std::size_t k = 0; k < m_; ++k) {
      const double d = z_[i][k] - z_[j][k];
      d2 += d * d;
    }
    return std::sqrt(d2);
  }

  // Smallest distance from i over neighbours j with lo <= j < hi outside the zone.
  [[nodiscard]] double nearest(std::size_t i, std::size_t lo, std::size_t hi) const {
    double best = INF;
    for (std::size_t j = lo; j < hi && j < l_; ++j) {
      const std::size_t gap = i > j ? i - j : j - i;
      if (gap > excl_ && finite_[i]) {
        best = std::min(best, distance(i, j));
      }
    }
    return best;
  }
  [[nodiscard]] double profile(std::size_t i) const { return nearest(i, 0, l_); }
  [[nodiscard]] double left(std::size_t i) const { return nearest(i, 0, i); }
  [[nodiscard]] double right(std::size_t i) const { return nearest(i, i + 1, l_); }

 private:
  std::vector<double> x_;
  std::size_t m_;
  std::size_t l_;
  std::size_t excl_;
  std::vector<std::vector<double>> z_;
  std::vector<bool> finite_;
  std::vector<bool> flat_;
};

// A CSV with a header row, every cell kept as text.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  [[nodiscard]] std::size_t column(const std::string& name) const {
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (header[c] == name) {
        return c;
      }
    }
    return header.size();  // out of range: get() then throws and fails the test
  }
  [[nodiscard]] const std::string& get(const std::vector<std::string>& row,
                                       const std::string& name) const {
    return row.at(column(name));
  }
};

inline std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    cells.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') {
    cells.emplace_back();
  }
  return cells;
}

inline Csv read_csv(const std::filesystem::path& path) {
  Csv csv;
  std::ifstream in(path);
  std::string line;
  if (std::getline(in, line)) {
    csv.header = split_line(line);
  }
  while (std::getline(in, line)) {
    if (!line.empty()) {
      csv.rows.push_back(split_line(line));
    }
  }
  return csv;
}

// strtod reads "nan", "inf" and "-inf" as written by numpy.
inline double to_double(const std::string& text) { return std::strtod(text.c_str(), nullptr); }
inline std::int64_t to_int(const std::string& text) {
  return std::strtoll(text.c_str(), nullptr, 10);
}

}  // namespace mp_test
