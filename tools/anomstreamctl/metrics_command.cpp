// anomstreamctl metrics --scores FILE --labels FILE [--window N | --data FILE]
//
// Grades a precomputed score column against labels with TSB-AD's threshold-free metrics
// (VUS-PR, VUS-ROC, range-AUC, point AUCs), so any detector's output can be compared
// with the published TSB-AD baselines.

#include <boost/program_options.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <expected>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/eval/find_length_rank.hpp"
#include "anomstream/eval/tsb_ad_m_dataset.hpp"
#include "anomstream/eval/tsb_ad_metrics.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace anomstream::tools {
namespace {

constexpr std::size_t DEFAULT_WINDOW = 100;

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  for (const char c : line) {
    if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field.push_back(c);
    }
  }
  fields.push_back(field);
  return fields;
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

std::optional<double> parse_number(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double value = 0.0;
  const char* first = t.data();
  if (*first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return value;
}

// One numeric column of a text file: either one number per line, or a CSV whose first
// line may be a header. `column` picks the column by header name or 0-based index;
// empty means `default_name` if the header has it, else the first column.
std::expected<std::vector<double>, std::string> read_column(const std::string& path,
                                                            const std::string& column,
                                                            const std::string& default_name) {
  std::ifstream in(path);
  if (!in) return std::unexpected(path + ": cannot read the file");
  std::vector<double> values;
  std::string line;
  std::size_t line_number = 0;
  std::optional<std::size_t> index;
  std::size_t fields_expected = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty() || trim(line) == "\r") continue;
    const auto fields = split_csv_line(line);
    if (!index) {
      fields_expected = fields.size();
      bool header = false;
      for (const auto& f : fields) header = header || !parse_number(f);
      if (header) {
        // A header line: resolve the column by name.
        const std::string wanted = column.empty() ? default_name : column;
        for (std::size_t i = 0; i < fields.size(); ++i) {
          if (trim(fields[i]) == wanted) index = i;
        }
        if (!index && column.empty()) index = 0;
        if (!index) {
          const auto parsed = parse_number(column);
          if (parsed && *parsed >= 0 && *parsed == std::floor(*parsed) &&
              static_cast<std::size_t>(*parsed) < fields.size()) {
            index = static_cast<std::size_t>(*parsed);
          } else {
            return std::unexpected(path + ":" + std::to_string(line_number) + ": no column \"" + wanted +
                                   "\" in the header");
          }
        }
        continue;
      }
      index = 0;
      if (!column.empty()) {
        const auto parsed = parse_number(column);
        if (!parsed || *parsed < 0 || *parsed != std::floor(*parsed) ||
            static_cast<std::size_t>(*parsed) >= fields.size()) {
          return std::unexpected(path + ":" + std::to_string(line_number) + ": no column " + column + " (the file has " +
                                 std::to_string(fields.size()) + " columns and no header)");
        }
        index = static_cast<std::size_t>(*parsed);
      }
    }
    if (fields.size() != fields_expected) {
      return std::unexpected(path + ":" + std::to_string(line_number) + ": " + std::to_string(fields.size()) +
                             " fields, expected " + std::to_string(fields_expected));
    }
    const auto value = parse_number(fields[*index]);
    if (!value) {
      return std::unexpected(path + ":" + std::to_string(line_number) + ": \"" + trim(fields[*index]) +
                             "\" is not a number");
    }
    if (!std::isfinite(*value)) {
      return std::unexpected(path + ":" + std::to_string(line_number) + ": \"" + trim(fields[*index]) +
                             "\" is not finite");
    }
    values.push_back(*value);
  }
  if (values.empty()) return std::unexpected(path + ": no values");
  return values;
}

}  // namespace

int run_metrics(int argc, char** argv) {
  po::options_description options("anomstreamctl metrics options");
  options.add_options()
      ("help,h", "print this help")
      ("scores", po::value<std::string>(), "scores: one number per line, or a CSV column (higher = more anomalous)")
      ("labels", po::value<std::string>(), "labels: one 0/1 per line, or a CSV (its Label column, e.g. a TSB-AD file)")
      ("score-column", po::value<std::string>()->default_value(""), "column of --scores by header name or 0-based index (default: Score if present, else the first)")
      ("label-column", po::value<std::string>()->default_value(""), "column of --labels by header name or 0-based index (default: Label if present, else the first)")
      ("window", po::value<std::size_t>(), "VUS sliding window; default: find_length_rank on --data's first column, else 100")
      ("data", po::value<std::string>(), "the series the scores came from (a TSB-AD CSV), to pick the window as TSB-AD does");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "anomstreamctl metrics: " << e.what() << "\n" << options;
    return EXIT_FAILURE_TO_RUN;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (!vm.count("scores") || !vm.count("labels")) {
    std::cerr << "usage: anomstreamctl metrics --scores FILE --labels FILE [--window N | --data FILE]\n";
    return EXIT_FAILURE_TO_RUN;
  }
  const std::string scores_path = vm["scores"].as<std::string>();
  const std::string labels_path = vm["labels"].as<std::string>();
  auto scores = read_column(scores_path, vm["score-column"].as<std::string>(), "Score");
  if (!scores) {
    std::cerr << "anomstreamctl metrics: " << scores.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  auto label_values = read_column(labels_path, vm["label-column"].as<std::string>(), "Label");
  if (!label_values) {
    std::cerr << "anomstreamctl metrics: " << label_values.error() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  if (scores->size() != label_values->size()) {
    std::cerr << "anomstreamctl metrics: " << scores_path << " has " << scores->size() << " scores but "
              << labels_path << " has " << label_values->size() << " labels\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::vector<std::uint8_t> labels;
  labels.reserve(label_values->size());
  for (std::size_t i = 0; i < label_values->size(); ++i) {
    const double v = (*label_values)[i];
    if (v != 0.0 && v != 1.0) {
      std::cerr << "anomstreamctl metrics: " << labels_path << ": label " << i + 1 << " is "
                << format_number(v) << ", expected 0 or 1\n";
      return EXIT_FAILURE_TO_RUN;
    }
    labels.push_back(v == 1.0 ? 1 : 0);
  }

  std::size_t window = DEFAULT_WINDOW;
  if (vm.count("window")) {
    window = vm["window"].as<std::size_t>();
  } else if (vm.count("data")) {
    const std::string data_path = vm["data"].as<std::string>();
    auto data = eval::TsbAdMDataset::load(data_path);
    if (!data) {
      std::cerr << "anomstreamctl metrics: " << data_path << ": " << data.error().message() << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    auto found = eval::find_length_rank(data->column(0));
    if (!found) {
      std::cerr << "anomstreamctl metrics: " << data_path << ": " << found.error().message() << "\n";
      return EXIT_FAILURE_TO_RUN;
    }
    window = *found;
  }

  auto metrics = eval::tsb_ad_metrics(labels, *scores, window);
  if (!metrics) {
    std::cerr << "anomstreamctl metrics: " << metrics.error().message() << "\n";
    return EXIT_FAILURE_TO_RUN;
  }
  std::cout << "window " << window << "\n"
            << "VUS-PR " << format_number(metrics->vus_pr) << "\n"
            << "VUS-ROC " << format_number(metrics->vus_roc) << "\n"
            << "R-AUC-PR " << format_number(metrics->range_auc_pr) << "\n"
            << "R-AUC-ROC " << format_number(metrics->range_auc_roc) << "\n"
            << "AUC-PR " << format_number(metrics->auc_pr) << "\n"
            << "AUC-ROC " << format_number(metrics->auc_roc) << "\n";
  return 0;
}

}  // namespace anomstream::tools
