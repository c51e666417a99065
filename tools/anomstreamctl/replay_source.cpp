#include "replay_source.hpp"

#include "client.hpp"
#include "csv_series.hpp"

namespace anomstream::tools {
namespace {

class SyntheticSource final : public ReplaySource {
 public:
  // The first `skip` observations are generated and dropped, so a replay with
  // --skip N continues the stream that a replay of N observations started.
  SyntheticSource(const TrafficConfig& config, std::uint64_t count, std::uint64_t skip)
      : generator_(config), count_(count), end_(skip + count) {
    while (generator_.emitted() < skip) generator_.next();
  }
  bool next(ReplayItem& item) override {
    if (generator_.emitted() >= end_) return false;
    const auto o = generator_.next();
    to_wire(o, item.observation);
    item.anomaly = o.anomaly;
    item.label = o.anomaly != AnomalyKind::none;
    if (item.label) ++labelled_;
    return true;
  }
  [[nodiscard]] std::uint64_t size() const override { return count_; }
  [[nodiscard]] std::uint64_t labelled() const override { return labelled_; }

 private:
  TrafficGenerator generator_;
  std::uint64_t count_;
  std::uint64_t end_;
  std::uint64_t labelled_ = 0;
};

class CsvSource final : public ReplaySource {
 public:
  CsvSource(CsvSeries series, std::string tenant, std::string stream)
      : series_(std::move(series)), tenant_(std::move(tenant)), stream_(std::move(stream)) {
    for (const bool label : series_.labels) labelled_ += label ? 1 : 0;
  }
  bool next(ReplayItem& item) override {
    if (row_ >= series_.rows()) return false;
    auto& o = item.observation;
    o.set_tenant(tenant_);
    o.set_stream(stream_);
    o.set_timestamp_ns(static_cast<std::int64_t>(row_) * 1'000'000'000);
    o.clear_values();
    o.clear_flow_key();
    for (std::size_t c = 0; c < series_.columns; ++c) o.add_values(series_.value(row_, c));
    item.anomaly = AnomalyKind::none;
    item.label = series_.labels[row_];
    ++row_;
    return true;
  }
  [[nodiscard]] std::uint64_t size() const override { return series_.rows(); }
  [[nodiscard]] std::uint64_t labelled() const override { return labelled_; }

 private:
  CsvSeries series_;
  std::string tenant_, stream_;
  std::size_t row_ = 0;
  std::uint64_t labelled_ = 0;
};

}  // namespace

std::unique_ptr<ReplaySource> ReplaySource::synthetic(const TrafficConfig& config, std::uint64_t count,
                                                     std::uint64_t skip) {
  return std::make_unique<SyntheticSource>(config, count, skip);
}

std::expected<std::unique_ptr<ReplaySource>, std::string> ReplaySource::from_csv(const std::string& path,
                                                                                 const std::string& tenant,
                                                                                 const std::string& stream) {
  auto series = load_csv_series(path);
  if (!series) return std::unexpected(series.error());
  return std::make_unique<CsvSource>(std::move(*series), tenant, stream);
}

}  // namespace anomstream::tools
