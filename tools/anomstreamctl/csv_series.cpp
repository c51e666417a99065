#include "csv_series.hpp"

#include "anomstream/eval/tsb_ad_m_dataset.hpp"

namespace anomstream::tools {

std::expected<CsvSeries, std::string> load_csv_series(const std::string& path) {
  auto dataset = eval::TsbAdMDataset::load(path);
  if (!dataset) return std::unexpected(path + ": " + dataset.error().message());
  CsvSeries series;
  series.columns = dataset->features();
  series.values.assign(dataset->values().begin(), dataset->values().end());
  series.labels.reserve(dataset->rows());
  for (const auto label : dataset->labels()) series.labels.push_back(label != 0);
  return series;
}

}  // namespace anomstream::tools
