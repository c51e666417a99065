#pragma once
// A whole TSB-AD file in memory: a row-major feature matrix and its labels.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/eval/tsb_ad_file_name.hpp"

namespace anomstream::eval {

// One TSB-AD-M (or TSB-AD-U) file of the TSB-AD benchmark (Liu & Paparrizos, "The
// Elephant in the Room: Towards A Reliable Time-Series Anomaly Detection Benchmark",
// NeurIPS 2024): `rows() x features()` values in one contiguous row-major array (the
// reference's `df.iloc[:, 0:-1].values.astype(float)`), the 0/1 labels
// (`df['Label']`), the feature names, and `tr` / `1st` from the file name.
//
// Memory: 8 * rows * features bytes for the values plus one byte per label (the text
// is streamed through TsbAdRowReader and never held whole). Time O(file size).
// Failure modes: every TsbAdRowReader error (file, line, column, text found), and a
// file without data rows (ErrorCode::parse_error). Use TsbAdRowReader directly for
// files that need not be held in memory.
class TsbAdMDataset {
 public:
  [[nodiscard]] static Result<TsbAdMDataset> load(const std::filesystem::path& path);

  [[nodiscard]] std::size_t rows() const noexcept { return labels_.size(); }
  [[nodiscard]] std::size_t features() const noexcept { return feature_names_.size(); }
  [[nodiscard]] const std::vector<std::string>& feature_names() const noexcept {
    return feature_names_;
  }
  // Row-major: value (r, c) is values()[r * features() + c].
  [[nodiscard]] std::span<const double> values() const noexcept { return values_; }
  // Row r; r < rows() is a precondition.
  [[nodiscard]] std::span<const double> row(std::size_t r) const noexcept {
    return std::span<const double>(values_).subspan(r * features(), features());
  }
  // Copy of column c (c < features() is a precondition), e.g. the first channel that
  // TSB-AD passes to find_length_rank.
  [[nodiscard]] std::vector<double> column(std::size_t c) const;
  [[nodiscard]] std::span<const std::uint8_t> labels() const noexcept { return labels_; }
  // Number of rows labelled 1.
  [[nodiscard]] std::size_t anomalies() const noexcept;

  // `tr` and `1st` from the file name, when present.
  [[nodiscard]] const TsbAdFileName& file_name() const noexcept { return file_name_; }
  [[nodiscard]] std::optional<std::size_t> train_end() const noexcept {
    return file_name_.train_end;
  }
  [[nodiscard]] std::optional<std::size_t> first_anomaly() const noexcept {
    return file_name_.first_anomaly;
  }

 private:
  TsbAdMDataset() = default;

  std::vector<std::string> feature_names_;
  std::vector<double> values_;
  std::vector<std::uint8_t> labels_;
  TsbAdFileName file_name_;
};

}  // namespace anomstream::eval
