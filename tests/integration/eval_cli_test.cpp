// anomstreamctl metrics and eval, run as real processes.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "process.hpp"
#include "test_paths.hpp"

using anomstream::test::ctl_path;
using anomstream::test::run_process;

namespace {

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("anomstream-eval-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

// The value on the line "name value" of `out`, or NaN.
double value_of(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  }
  return std::nan("");
}

// 200 points, anomalies on [50, 60) and [120, 125): 15 of 200, two ranges away from the ends.
std::vector<int> known_labels() {
  std::vector<int> labels(200, 0);
  for (int i = 50; i < 60; ++i) labels[i] = 1;
  for (int i = 120; i < 125; ++i) labels[i] = 1;
  return labels;
}

std::string one_per_line(const std::vector<double>& values) {
  std::ostringstream out;
  for (double v : values) out << v << "\n";
  return out.str();
}

std::string labels_csv(const std::vector<int>& labels) {
  std::ostringstream out;
  out << "Data,Label\n";
  for (std::size_t i = 0; i < labels.size(); ++i) out << std::sin(0.1 * static_cast<double>(i)) << "," << labels[i] << "\n";
  return out.str();
}

}  // namespace

TEST_CASE("metrics gives VUS-PR 1 to scores that equal the labels") {
  const auto labels = known_labels();
  const auto scores = temp_file("perfect.txt", one_per_line(std::vector<double>(labels.begin(), labels.end())));
  const auto label_file = temp_file("labels.csv", labels_csv(labels));
  for (const char* window : {"0", "10", "40"}) {
    auto r = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels", label_file.string(),
                          "--window", window});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(value_of(r.out, "VUS-PR") == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(value_of(r.out, "AUC-PR") == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(value_of(r.out, "AUC-ROC") == doctest::Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("metrics gives constant scores the base rate, counting the buffer ramps") {
  // Every point is predicted at every threshold, so recall is 1 and precision is the
  // labelled weight over the length: 15/200 with no buffer. With window 2 the VUS
  // averages buffers 0, 1 and 2; only buffer 2 adds a ramp, sqrt(1 - 1/2) on each side
  // of each of the two ranges (VUS, Paparrizos et al., VLDB 2022).
  const auto labels = known_labels();
  const auto scores = temp_file("constant.txt", one_per_line(std::vector<double>(labels.size(), 0.5)));
  const auto label_file = temp_file("labels.csv", labels_csv(labels));

  auto r0 = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels", label_file.string(),
                         "--window", "0"});
  REQUIRE_MESSAGE(r0.exit_code == 0, r0.err);
  CHECK(value_of(r0.out, "VUS-PR") == doctest::Approx(15.0 / 200.0).epsilon(1e-12));
  CHECK(value_of(r0.out, "AUC-PR") == doctest::Approx(15.0 / 200.0).epsilon(1e-12));
  CHECK(value_of(r0.out, "AUC-ROC") == doctest::Approx(0.5).epsilon(1e-12));

  auto r2 = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels", label_file.string(),
                         "--window", "2"});
  REQUIRE_MESSAGE(r2.exit_code == 0, r2.err);
  const double ramp = 4.0 * std::sqrt(0.5);
  const double expected = (15.0 / 200.0 + 15.0 / 200.0 + (15.0 + ramp) / 200.0) / 3.0;
  CHECK(value_of(r2.out, "VUS-PR") == doctest::Approx(expected).epsilon(1e-9));
}

TEST_CASE("metrics without --window uses 100, or find_length_rank of --data") {
  const auto labels = known_labels();
  const auto scores = temp_file("perfect.txt", one_per_line(std::vector<double>(labels.begin(), labels.end())));
  const auto label_file = temp_file("labels.csv", labels_csv(labels));
  auto plain = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels", label_file.string()});
  REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  CHECK(value_of(plain.out, "window") == 100);
  // sin(0.1 i) has period 2 pi / 0.1, about 63 points.
  auto with_data = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels",
                                label_file.string(), "--data", label_file.string()});
  REQUIRE_MESSAGE(with_data.exit_code == 0, with_data.err);
  CHECK(value_of(with_data.out, "window") == doctest::Approx(63).epsilon(0.03));
}

TEST_CASE("metrics refuses mismatched lengths and bad numbers, naming file and line") {
  const auto labels = known_labels();
  const auto label_file = temp_file("labels.csv", labels_csv(labels));

  SUBCASE("one score too few") {
    const auto scores = temp_file("short.txt", one_per_line(std::vector<double>(labels.size() - 1, 0.1)));
    auto r = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels", label_file.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("short.txt") != std::string::npos);
    CHECK(r.err.find("199") != std::string::npos);
    CHECK(r.err.find("200") != std::string::npos);
  }
  SUBCASE("a word among the scores") {
    const auto scores = temp_file("bad.txt", "0.1\n0.2\nabc\n0.4\n");
    auto r = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels", label_file.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("bad.txt:3") != std::string::npos);
    CHECK(r.err.find("abc") != std::string::npos);
  }
  SUBCASE("a label that is not 0 or 1") {
    const auto scores = temp_file("ok.txt", "0.1\n0.2\n0.3\n");
    const auto bad_labels = temp_file("bad_labels.txt", "0\n1\n2\n");
    auto r = run_process({ctl_path(), "metrics", "--scores", scores.string(), "--labels", bad_labels.string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("bad_labels.txt") != std::string::npos);
  }
}

namespace {

// The value docs/quality.md reports for `file` in the first table with a column headed
// `column`.
double documented(const std::string& file, const std::string& column) {
  std::ifstream in(anomstream::test::source_dir() / "docs" / "quality.md");
  REQUIRE(in);
  std::vector<std::string> header;
  const auto cells = [](const std::string& line) {
    std::vector<std::string> out;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, '|');) {
      const auto first = cell.find_first_not_of(' ');
      out.push_back(first == std::string::npos ? "" : cell.substr(first, cell.find_last_not_of(' ') - first + 1));
    }
    return out;
  };
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("| file |")) header = cells(line);
    if (!header.empty() && line.starts_with("| " + file + " |")) {
      const auto at = std::find(header.begin(), header.end(), column);
      if (at == header.end()) continue;
      return std::stod(cells(line).at(static_cast<std::size_t>(at - header.begin())));
    }
  }
  FAIL("docs/quality.md has no column " << column << " with a row for " << file);
  return 0;
}

// ../shared/data/<folder>/<name>, or nullopt after saying why the test is skipped.
std::optional<std::filesystem::path> shared_data_file(const std::string& folder, const std::string& name) {
  const auto dir = anomstream::test::shared_path("data/" + folder);
  if (!dir) {
    MESSAGE("skipped: ../shared/data/" << folder << " is absent");
    return std::nullopt;
  }
  auto file = *dir / name;
  if (!std::filesystem::exists(file)) {
    MESSAGE("skipped: " << file.string() << " is absent");
    return std::nullopt;
  }
  return file;
}

}  // namespace

TEST_CASE("eval --detector mp grades a TSB-AD-U file with the VUS-PR docs/quality.md reports") {
  const auto path = shared_data_file("tsb-ad-u", "018_NAB_id_18_Facility_tr_500_1st_669.csv");
  if (!path) return;
  const auto& file = *path;
  auto r = run_process({ctl_path(), "eval", file.string(), "--detector", "mp"}, std::chrono::seconds(20));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const double vus_pr = value_of(r.out, "VUS-PR");
  // The table prints three decimals.
  CHECK(std::abs(vus_pr - documented(file.filename().string(), "mp VUS-PR")) <= 0.0005);
  CHECK(value_of(r.out, "dims") == 1);
}

TEST_CASE("eval --detector kmeans,ewma,cusum grades a TSB-AD-M file with the VUS-PR docs/quality.md reports") {
  const auto path = shared_data_file("tsb-ad-m", "002_MSL_id_1_Sensor_tr_500_1st_900.csv");
  if (!path) return;
  const auto& file = *path;
  auto r = run_process({ctl_path(), "eval", file.string(), "--detector", "kmeans,ewma,cusum"},
                       std::chrono::seconds(30));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  // The table prints three decimals.
  for (const std::string name : {"kmeans", "ewma", "cusum"}) {
    CAPTURE(name);
    CHECK(std::abs(value_of(r.out, name + " VUS-PR") -
                   documented(file.filename().string(), name + " VUS-PR")) <= 0.0005);
  }
}

TEST_CASE("eval over a folder prints each mean with its 95% bootstrap interval over the files") {
  const auto a = shared_data_file("tsb-ad-u", "005_NAB_id_5_Traffic_tr_594_1st_1645.csv");
  const auto b = shared_data_file("tsb-ad-u", "014_NAB_id_14_WebService_tr_500_1st_1045.csv");
  if (!a || !b) return;
  // A folder of links to two files (nothing copied).
  const auto dir = temp_file("placeholder", "").parent_path() / "two-files";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::create_symlink(std::filesystem::absolute(*a), dir / a->filename());
  std::filesystem::create_symlink(std::filesystem::absolute(*b), dir / b->filename());
  auto r = run_process({ctl_path(), "eval", dir.string(), "--detector", "ewma", "--compact"}, std::chrono::seconds(30));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  // The two files' VUS-PR, their mean, and the interval row, from the Markdown table.
  const auto cell = [&](const std::string& first) {
    const auto at = r.out.find("| " + first + " |");
    REQUIRE(at != std::string::npos);
    const auto line = r.out.substr(at, r.out.find('\n', at) - at);
    return line.substr(line.rfind(" |", line.size() - 3) + 2);  // the last column
  };
  const double x = std::stod(cell(a->filename().string()));
  const double y = std::stod(cell(b->filename().string()));
  const std::string mean = cell("**mean**");
  REQUIRE(mean.find("**") != std::string::npos);
  const std::string interval = cell("95% interval");
  const auto open = interval.find('[');
  REQUIRE(open != std::string::npos);
  const double lower = std::stod(interval.substr(open + 1));
  const double upper = std::stod(interval.substr(interval.find(',') + 1));
  // A resampled mean of two values lies between them, and 2000 resamples of two files
  // draw both extremes (each has probability 1/4 per resample).
  CHECK(lower == std::min(x, y));
  CHECK(upper == std::max(x, y));
  CHECK(lower < upper);
}

TEST_CASE("eval --detector ensemble with no delay grades a TSB-AD-M file with the VUS-PR docs/quality.md reports") {
  const auto path = shared_data_file("tsb-ad-m", "148_SMAP_id_5_Sensor_tr_2011_1st_5060.csv");
  if (!path) return;
  const auto& file = *path;
  for (const std::string rule : {"max", "sum"}) {
    CAPTURE(rule);
    const auto config = temp_file("ensemble-" + rule + ".yaml", "alignment: newest\nensemble_rule: " + rule + "\n");
    auto r = run_process({ctl_path(), "eval", file.string(), "--detector", "ensemble", "--config", config.string()},
                         std::chrono::seconds(60));
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    // The table prints three decimals.
    CHECK(std::abs(value_of(r.out, "VUS-PR") - documented(file.filename().string(), "ensemble " + rule + ", kept")) <=
          0.0005);
  }
}

TEST_CASE("eval --calibrate 0.3 grades Platt probabilities on a TSB-AD-U file with the ECE docs/quality.md reports") {
  // 019_NAB's first anomaly (row 1171) falls inside the first 30% (1209 rows), so the
  // labelled prefix has both classes and Platt can be fitted.
  const auto path = shared_data_file("tsb-ad-u", "019_NAB_id_19_Facility_tr_1007_1st_1171.csv");
  if (!path) return;
  const auto& file = *path;
  auto r = run_process({ctl_path(), "eval", file.string(), "--detector", "rcf", "--calibrate", "0.3"},
                       std::chrono::seconds(30));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(value_of(r.out, "calibration_prefix") == 1209);
  CHECK(value_of(r.out, "calibration_prefix_anomalies") == 38);
  const double calibrated = value_of(r.out, "ECE_calibrated");
  const double naive = value_of(r.out, "ECE_naive");
  const double base_rate = value_of(r.out, "ECE_base_rate");
  for (const double ece : {calibrated, naive, base_rate}) {
    CHECK(std::isfinite(ece));
    CHECK(ece >= 0.0);
    CHECK(ece <= 1.0);
  }
  // The table prints three decimals.
  const std::string name = file.filename().string();
  CHECK(std::abs(calibrated - documented(name, "rcf ECE calibrated")) <= 0.0005);
  CHECK(std::abs(naive - documented(name, "rcf ECE naive")) <= 0.0005);
  CHECK(std::abs(base_rate - documented(name, "rcf ECE base rate")) <= 0.0005);
  // Measured: 0.097 calibrated against 0.510 naive, a gap of 0.413.
  CHECK(naive - calibrated >= 0.41);
}

TEST_CASE("eval --calibrate says when the labelled prefix has no anomalies, and refuses a fraction outside (0, 1)") {
  // 018_NAB's first anomaly is row 669, after the first 30% (564 rows).
  const auto path = shared_data_file("tsb-ad-u", "018_NAB_id_18_Facility_tr_500_1st_669.csv");
  if (!path) return;
  auto r = run_process({ctl_path(), "eval", path->string(), "--detector", "rcf", "--calibrate", "0.3"},
                       std::chrono::seconds(30));
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(value_of(r.out, "calibration_prefix_anomalies") == 0);
  CHECK(r.out.find("ECE_calibrated n/a (prefix has no anomalies)") != std::string::npos);
  CHECK(std::isfinite(value_of(r.out, "ECE_naive")));
  for (const char* bad : {"0", "1", "1.5", "-0.2"}) {
    CAPTURE(bad);
    auto refused = run_process({ctl_path(), "eval", path->string(), "--detector", "rcf", "--calibrate", bad},
                               std::chrono::seconds(30));
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find("--calibrate") != std::string::npos);
  }
}
