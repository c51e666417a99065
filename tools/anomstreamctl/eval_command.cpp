// anomstreamctl eval FILE.csv|DIR [--detector rcf,mp,...] [--config detector.yaml]
//                   [--published published_vus_pr.csv] [--output PREFIX] [--calibrate FRACTION]
//
// Streams each TSB-AD file through the chosen detectors and grades the scores with
// TSB-AD's protocol: window = find_length_rank(first channel), then VUS-PR, VUS-ROC and
// range-AUC-PR. One file prints `name value` lines; a folder prints a Markdown table with
// the mean over the files with its 95% bootstrap interval (and writes PREFIX.md and
// PREFIX.csv with --output). --calibrate adds the expected calibration error of Platt
// probabilities fitted on the first FRACTION of each file (calibration_report.hpp): lines
// for one file, a second table for a folder (PREFIX-calibration.md and .csv).

#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/eval/find_length_rank.hpp"
#include "anomstream/eval/tsb_ad_m_dataset.hpp"
#include "anomstream/eval/tsb_ad_metrics.hpp"
#include "anomstream/triage/bootstrap_report.hpp"
#include "calibration_report.hpp"
#include "commands.hpp"
#include "detectors.hpp"
#include "progress_bar.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace anomstream::tools {
namespace {

struct DetectorResult {
  std::optional<eval::TsbAdMetrics> metrics;  // empty: the detector does not apply
  std::string note;                           // why not
  double seconds = 0.0;
  std::optional<CalibrationResult> calibration;  // with --calibrate
};

struct FileResult {
  std::string name;
  std::size_t rows = 0, dims = 0, anomalies = 0, window = 0;
  std::vector<DetectorResult> detectors;
  std::vector<std::optional<double>> published;
};

// file name -> method -> published VUS-PR.
using Published = std::map<std::string, std::map<std::string, double>>;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) {
    if (!part.empty() && part.back() == '\r') part.pop_back();
    parts.push_back(part);
  }
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

std::expected<Published, std::string> load_published(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::unexpected(path + ": cannot read the file");
  std::string line;
  if (!std::getline(in, line)) return std::unexpected(path + ": empty file");
  const auto header = split(line, ',');
  Published published;
  std::size_t line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const auto fields = split(line, ',');
    if (fields.size() > header.size()) {
      return std::unexpected(path + ":" + std::to_string(line_number) + ": more fields than the header");
    }
    auto& row = published[fields[0]];
    for (std::size_t i = 1; i < fields.size(); ++i) {
      if (fields[i].empty()) continue;
      try {
        row[header[i]] = std::stod(fields[i]);
      } catch (const std::exception&) {
        return std::unexpected(path + ":" + std::to_string(line_number) + ": \"" + fields[i] +
                               "\" is not a number");
      }
    }
  }
  return published;
}

std::string fixed(double value, int decimals = 3) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// `compact`: VUS-PR only per detector (no VUS-ROC, R-AUC-PR or timing columns).
Table make_table(const std::vector<FileResult>& results, const std::vector<std::string>& detectors,
                 const std::vector<std::string>& baselines, bool compact) {
  Table table;
  table.header = {"file", "n", "dims", "anomalies", "window"};
  for (const auto& d : detectors) {
    for (const char* column : {"VUS-PR", "VUS-ROC", "R-AUC-PR", "seconds", "points/s"}) {
      table.header.push_back(detectors.size() > 1 ? d + " " + column : std::string(column));
      if (compact) break;
    }
  }
  for (const auto& b : baselines) table.header.push_back(b + " (published)");

  const std::size_t metric_columns = detectors.size() * 3 + baselines.size();
  std::vector<std::vector<double>> values_of(metric_columns);
  for (const auto& r : results) {
    std::vector<std::string> row = {r.name, std::to_string(r.rows), std::to_string(r.dims),
                                    std::to_string(r.anomalies), std::to_string(r.window)};
    for (std::size_t i = 0; i < detectors.size(); ++i) {
      const auto& d = r.detectors[i];
      if (!d.metrics) {
        for (int k = 0; k < (compact ? 1 : 5); ++k) row.push_back("n/a");
        continue;
      }
      const double values[3] = {d.metrics->vus_pr, d.metrics->vus_roc, d.metrics->range_auc_pr};
      for (std::size_t k = 0; k < 3; ++k) {
        if (!compact || k == 0) row.push_back(fixed(values[k]));
        values_of[i * 3 + k].push_back(values[k]);
      }
      if (compact) continue;
      row.push_back(fixed(d.seconds, 2));
      row.push_back(std::to_string(static_cast<long long>(d.seconds > 0 ? r.rows / d.seconds : 0)));
    }
    for (std::size_t b = 0; b < baselines.size(); ++b) {
      const auto& v = r.published[b];
      row.push_back(v ? fixed(*v) : "—");
      if (v) values_of[detectors.size() * 3 + b].push_back(*v);
    }
    table.rows.push_back(std::move(row));
  }
  // The mean over the files, and its 95% percentile-bootstrap interval over them (2000
  // resamples of the files, seed 42): how much the mean depends on which files were drawn.
  auto bootstrap = triage::BootstrapReport::create({.resamples = 2000, .confidence = 0.95, .seed = 42});
  auto mean = [&](std::size_t k) {
    const auto& v = values_of[k];
    if (v.empty()) return std::string("—");
    double sum = 0.0;
    for (const double x : v) sum += x;
    return fixed(sum / static_cast<double>(v.size()));
  };
  auto interval = [&](std::size_t k) {
    if (!bootstrap || values_of[k].empty()) return std::string("—");
    auto ci = bootstrap->interval(values_of[k]);
    return ci ? "[" + fixed(ci->lower) + ", " + fixed(ci->upper) + "]" : std::string("—");
  };
  for (const auto& [label, cell] : {std::pair<std::string, std::function<std::string(std::size_t)>>{"mean", mean},
                                    {"95% interval", interval}}) {
    std::vector<std::string> row = {label, "", "", "", ""};
    for (std::size_t i = 0; i < detectors.size(); ++i) {
      if (compact) {
        row.push_back(cell(i * 3));
        continue;
      }
      for (std::size_t k = 0; k < 3; ++k) row.push_back(cell(i * 3 + k));
      row.push_back("");
      row.push_back("");
    }
    for (std::size_t b = 0; b < baselines.size(); ++b) row.push_back(cell(detectors.size() * 3 + b));
    table.rows.push_back(std::move(row));
  }
  return table;
}

// Per file: the labelled prefix, then per detector the ECE of the calibrated, naive and
// base-rate probabilities on the rows after it. "mean" averages the files where Platt
// could be fitted (all three columns over the same files); "mean, all files" the naive
// and base-rate columns over every file.
Table make_calibration_table(const std::vector<FileResult>& results, const std::vector<std::string>& detectors) {
  Table table;
  table.header = {"file", "prefix", "prefix anomalies", "graded anomalies"};
  for (const auto& d : detectors) {
    for (const char* column : {"ECE calibrated", "ECE naive", "ECE base rate"}) {
      table.header.push_back(detectors.size() > 1 ? d + " " + column : std::string(column));
    }
  }
  // Per detector: sums over fitted files (calibrated, naive, base rate) and over all files.
  struct Sums {
    double fitted[3] = {0.0, 0.0, 0.0};
    std::size_t fitted_files = 0;
    double all[2] = {0.0, 0.0};
    std::size_t all_files = 0;
  };
  std::vector<Sums> sums(detectors.size());
  for (const auto& r : results) {
    std::vector<std::string> row = {r.name, "", "", ""};
    for (std::size_t i = 0; i < detectors.size(); ++i) {
      const auto& c = r.detectors[i].calibration;
      if (!c) {
        row.insert(row.end(), {"n/a", "n/a", "n/a"});
        continue;
      }
      row[1] = std::to_string(c->prefix);
      row[2] = std::to_string(c->prefix_anomalies);
      row[3] = std::to_string(r.anomalies - c->prefix_anomalies);
      row.push_back(c->calibrated ? fixed(*c->calibrated) : c->note);
      row.push_back(fixed(c->naive));
      row.push_back(fixed(c->base_rate));
      auto& s = sums[i];
      s.all[0] += c->naive;
      s.all[1] += c->base_rate;
      ++s.all_files;
      if (!c->calibrated) continue;
      s.fitted[0] += *c->calibrated;
      s.fitted[1] += c->naive;
      s.fitted[2] += c->base_rate;
      ++s.fitted_files;
    }
    table.rows.push_back(std::move(row));
  }
  auto mean = [](double sum, std::size_t n) { return n ? fixed(sum / static_cast<double>(n)) : std::string("—"); };
  std::vector<std::string> fitted = {"mean", "", "", ""};
  std::vector<std::string> all = {"mean, all files", "", "", ""};
  for (const auto& s : sums) {
    for (const double sum : s.fitted) fitted.push_back(mean(sum, s.fitted_files));
    all.insert(all.end(), {"—", mean(s.all[0], s.all_files), mean(s.all[1], s.all_files)});
  }
  table.rows.push_back(std::move(fitted));
  table.rows.push_back(std::move(all));
  return table;
}

void write_markdown(std::ostream& out, const Table& table) {
  out << "|";
  for (const auto& h : table.header) out << " " << h << " |";
  out << "\n|";
  for (std::size_t i = 0; i < table.header.size(); ++i) out << (i == 0 ? "---|" : "---:|");
  out << "\n";
  for (const auto& row : table.rows) {
    out << "|";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool bold = row[0] == "mean" && !row[i].empty();
      out << " " << (bold ? "**" + row[i] + "**" : row[i]) << " |";
    }
    out << "\n";
  }
}

void write_csv(std::ostream& out, const Table& table) {
  auto line = [&](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const std::string& f = fields[i];
      out << (i ? "," : "");
      if (f == "—" || f == "n/a") continue;
      out << (f.find(',') == std::string::npos ? f : "\"" + f + "\"");  // an interval "[a, b]"
    }
    out << "\n";
  };
  line(table.header);
  for (const auto& row : table.rows) line(row);
}

}  // namespace

int run_eval(int argc, char** argv) {
  po::options_description options("anomstreamctl eval FILE.csv|DIR options");
  options.add_options()
      ("help,h", "print this help")
      ("path", po::value<std::string>(), "a TSB-AD CSV file, or a folder of them")
      ("detector", po::value<std::string>()->default_value("rcf"),
       "comma-separated detectors: rcf (shingled random cut forest), trcf (thresholded forest grade), "
       "mp (Matrix Profile, batch, univariate), ewma (max |z|), cusum (max per-feature CUSUM), "
       "kmeans (subsequence k-means), left_mp (streaming left Matrix Profile, univariate), "
       "ensemble (kmeans and rcf, each calibrated to a tail probability)")
      ("config", po::value<std::string>(), "YAML with detector parameters: num_trees, sample_size, time_decay, "
                                           "shingle_size, normalizer (train|stream|none), ewma_alpha, cusum_slack, "
                                           "window, k, min_warmup, max_count, newest_weight, history, normalize, warmup, "
                                           "alignment (newest|lagged), ensemble_history, ensemble_rule (max|sum), "
                                           "train_scores (keep|zero), seed")
      ("published", po::value<std::string>(), "published_vus_pr.csv: add published VUS-PR baselines side by side")
      ("baselines", po::value<std::string>()->default_value("IForest,MatrixProfile"),
       "comma-separated method columns of --published to show")
      ("output", po::value<std::string>(), "write the summary table to PREFIX.md and PREFIX.csv")
      ("compact", "tables show only VUS-PR per detector")
      ("calibrate", po::value<double>(),
       "FRACTION in (0, 1): fit Platt scaling on the labels of the first FRACTION of each file and report the "
       "expected calibration error (10 bins) on the rest, beside the min-max scaled score and the base rate")
      ("progress", "draw the progress bar even when stderr is not a terminal");
  po::positional_options_description positional;
  positional.add("path", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl eval: " << e.what() << "\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (!vm.count("path")) {
    std::cerr << "usage: anomstreamctl eval FILE.csv|DIR [--detector rcf,mp] [--config FILE] [--published FILE]\n";
    return EXIT_FAILURE_TO_RUN;
  }
  const auto detectors = split(vm["detector"].as<std::string>(), ',');
  for (const auto& d : detectors) {
    if (!is_known_detector(d)) {
      std::cerr << "anomstreamctl eval: unknown detector \"" << d << "\" (known: " << KNOWN_DETECTORS << ")\n";
      return EXIT_FAILURE_TO_RUN;
    }
  }
  DetectorConfig config;
  if (vm.count("config")) {
    auto loaded = load_detector_config(vm["config"].as<std::string>());
    if (!loaded) {
      std::cerr << "anomstreamctl eval: " << loaded.error() << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    config = *loaded;
  }
  std::optional<double> calibrate;
  if (vm.count("calibrate")) {
    calibrate = vm["calibrate"].as<double>();
    if (!(*calibrate > 0.0 && *calibrate < 1.0)) {
      std::cerr << "anomstreamctl eval: --calibrate: must be in (0, 1) (got " << format_number(*calibrate) << ")\n";
      return EXIT_FAILURE_TO_RUN;
    }
  }
  Published published;
  std::vector<std::string> baselines;
  if (vm.count("published")) {
    auto loaded = load_published(vm["published"].as<std::string>());
    if (!loaded) {
      std::cerr << "anomstreamctl eval: " << loaded.error() << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    published = std::move(*loaded);
    baselines = split(vm["baselines"].as<std::string>(), ',');
  }

  const fs::path root = vm["path"].as<std::string>();
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(root, ec)) {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".csv") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::cerr << "anomstreamctl eval: no .csv files in \"" << root.string() << "\"\n";
      return EXIT_FAILURE_TO_RUN;
    }
  } else if (fs::is_regular_file(root, ec)) {
    files.push_back(root);
  } else {
    std::cerr << "anomstreamctl eval: cannot read \"" << root.string() << "\"\n";
    return EXIT_FAILURE_TO_RUN;
  }
  const bool folder = files.size() > 1 || fs::is_directory(root, ec);

  // Counts rows (lines after the header) of the files done; drawn only for a folder, and
  // only on a terminal unless --progress.
  std::vector<std::uint64_t> file_rows;
  std::uint64_t total_rows = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const auto lines = static_cast<std::uint64_t>(
        std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
    file_rows.push_back(lines > 0 ? lines - 1 : 0);
    total_rows += file_rows.back();
  }
  ProgressBar progress(total_rows, "rows", vm.count("progress") > 0);
  std::uint64_t rows_done = 0;
  std::size_t file_index = 0;
  auto file_done = [&] {
    rows_done += file_rows[file_index++];
    if (folder) progress.update(rows_done);
  };

  std::vector<FileResult> results;
  int exit_code = 0;
  for (const auto& path : files) {
    auto data = eval::TsbAdMDataset::load(path);
    if (!data) {
      std::cerr << "anomstreamctl eval: " << path.string() << ": " << data.error().message() << "\n";
      exit_code = EXIT_FAILURE_TO_RUN;
      file_done();
      continue;
    }
    FileResult result;
    result.name = path.filename().string();
    result.rows = data->rows();
    result.dims = data->features();
    result.anomalies = data->anomalies();
    auto window = eval::find_length_rank(data->column(0));
    if (!window) {
      std::cerr << "anomstreamctl eval: " << path.string() << ": " << window.error().message() << "\n";
      exit_code = EXIT_FAILURE_TO_RUN;
      continue;
    }
    result.window = *window;
    for (const auto& name : detectors) {
      DetectorResult dr;
      const auto start = std::chrono::steady_clock::now();
      auto scores = score_series(name, *data, result.window, config);
      dr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!scores) {
        dr.note = scores.error();
        // In a folder, a univariate detector on a multivariate file is simply not
        // applicable (n/a).
        if (!folder || !is_univariate_detector(name) || data->features() == 1) {
          std::cerr << "anomstreamctl eval: " << path.string() << ": " << name << ": " << scores.error() << "\n";
          exit_code = EXIT_FAILURE_TO_RUN;
        }
      } else {
        auto metrics = eval::tsb_ad_metrics(data->labels(), *scores, result.window);
        if (!metrics) {
          std::cerr << "anomstreamctl eval: " << path.string() << ": " << name << ": "
                    << metrics.error().message() << "\n";
          exit_code = EXIT_FAILURE_TO_RUN;
        } else {
          dr.metrics = *metrics;
        }
        if (calibrate) {
          auto calibration = measure_calibration(*scores, data->labels(), *calibrate);
          if (!calibration) {
            std::cerr << "anomstreamctl eval: " << path.string() << ": " << name << ": " << calibration.error() << "\n";
            exit_code = EXIT_FAILURE_TO_RUN;
          } else {
            if (calibration->calibrated && !calibration->note.empty()) {
              std::cerr << "anomstreamctl eval: " << path.string() << ": " << name << ": " << calibration->note << "\n";
            }
            dr.calibration = std::move(*calibration);
          }
        }
      }
      result.detectors.push_back(std::move(dr));
    }
    for (const auto& b : baselines) {
      std::optional<double> value;
      if (auto row = published.find(result.name); row != published.end()) {
        if (auto cell = row->second.find(b); cell != row->second.end()) value = cell->second;
      }
      result.published.push_back(value);
    }
    file_done();
    results.push_back(std::move(result));
  }
  if (folder) progress.finish();

  if (!folder) {
    if (results.empty()) return exit_code;
    const auto& r = results.front();
    std::cout << "file " << r.name << "\n"
              << "n " << r.rows << "\n"
              << "dims " << r.dims << "\n"
              << "anomalies " << r.anomalies << "\n"
              << "window " << r.window << "\n";
    for (std::size_t i = 0; i < detectors.size(); ++i) {
      const auto& d = r.detectors[i];
      const std::string prefix = detectors.size() > 1 ? detectors[i] + " " : "";
      if (!d.metrics) {
        std::cout << prefix << "VUS-PR n/a\n";
        continue;
      }
      std::cout << prefix << "VUS-PR " << format_number(d.metrics->vus_pr) << "\n"
                << prefix << "VUS-ROC " << format_number(d.metrics->vus_roc) << "\n"
                << prefix << "R-AUC-PR " << format_number(d.metrics->range_auc_pr) << "\n"
                << prefix << "seconds " << fixed(d.seconds, 3) << "\n"
                << prefix << "points_per_second "
                << static_cast<long long>(d.seconds > 0 ? r.rows / d.seconds : 0) << "\n";
      if (d.calibration) write_calibration_lines(std::cout, prefix, *d.calibration);
    }
    for (std::size_t b = 0; b < baselines.size(); ++b) {
      if (r.published[b]) std::cout << baselines[b] << "_published " << format_number(*r.published[b]) << "\n";
    }
    return exit_code;
  }

  // Prints `table`, and with --output writes it to PREFIX<suffix>.md and .csv.
  auto emit = [&](const Table& table, const std::string& suffix) {
    write_markdown(std::cout, table);
    if (!vm.count("output")) return true;
    const std::string prefix = vm["output"].as<std::string>() + suffix;
    std::ofstream md(prefix + ".md"), csv(prefix + ".csv");
    if (!md || !csv) {
      std::cerr << "anomstreamctl eval: cannot write " << prefix << ".md / .csv\n";
      return false;
    }
    write_markdown(md, table);
    write_csv(csv, table);
    return true;
  };
  if (!emit(make_table(results, detectors, baselines, vm.count("compact") > 0), "")) return EXIT_FAILURE_TO_RUN;
  if (calibrate) {
    std::cout << "\n";
    if (!emit(make_calibration_table(results, detectors), "-calibration")) return EXIT_FAILURE_TO_RUN;
  }
  return exit_code;
}

}  // namespace anomstream::tools
