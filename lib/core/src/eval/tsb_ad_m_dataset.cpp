#include "anomstream/eval/tsb_ad_m_dataset.hpp"

#include <algorithm>

#include "anomstream/eval/tsb_ad_row_reader.hpp"

namespace anomstream::eval {

Result<TsbAdMDataset> TsbAdMDataset::load(const std::filesystem::path& path) {
  auto reader = TsbAdRowReader::open(path);
  if (!reader) {
    return std::unexpected(reader.error());
  }
  TsbAdMDataset dataset;
  dataset.feature_names_ = reader->feature_names();
  dataset.file_name_ = reader->file_name();
  while (true) {
    auto row = reader->next();
    if (!row) {
      return std::unexpected(row.error());
    }
    if (!*row) {
      break;
    }
    dataset.values_.insert(dataset.values_.end(), (*row)->features.begin(),
                           (*row)->features.end());
    dataset.labels_.push_back((*row)->label);
  }
  if (dataset.labels_.empty()) {
    return fail(ErrorCode::parse_error, path.filename().string(),
                "must hold at least one data row after the header");
  }
  dataset.values_.shrink_to_fit();
  dataset.labels_.shrink_to_fit();
  return dataset;
}

std::vector<double> TsbAdMDataset::column(std::size_t c) const {
  std::vector<double> out(rows());
  for (std::size_t r = 0; r < rows(); ++r) {
    out[r] = values_[r * features() + c];
  }
  return out;
}

std::size_t TsbAdMDataset::anomalies() const noexcept {
  return static_cast<std::size_t>(std::count(labels_.begin(), labels_.end(), std::uint8_t{1}));
}

}  // namespace anomstream::eval
