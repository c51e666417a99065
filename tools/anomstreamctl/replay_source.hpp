#pragma once
// What `anomstreamctl replay` sends: the synthetic traffic generator, or a TSB-AD CSV
// (each row one observation of the given tenant and stream; its Label is kept for the
// summary, not sent).

#include <expected>
#include <memory>
#include <string>

#include "anomstream/v1/observation.pb.h"
#include "traffic_generator.hpp"

namespace anomstream::tools {

struct ReplayItem {
  v1::Observation observation;
  AnomalyKind anomaly = AnomalyKind::none;  // synthetic only
  bool label = false;                       // CSV only
};

class ReplaySource {
 public:
  // `count` observations of the synthetic stream, after dropping its first `skip`.
  static std::unique_ptr<ReplaySource> synthetic(const TrafficConfig& config, std::uint64_t count,
                                                 std::uint64_t skip = 0);
  static std::expected<std::unique_ptr<ReplaySource>, std::string> from_csv(const std::string& path,
                                                                           const std::string& tenant,
                                                                           const std::string& stream);
  virtual ~ReplaySource() = default;
  virtual bool next(ReplayItem& item) = 0;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  [[nodiscard]] virtual std::uint64_t labelled() const = 0;
};

}  // namespace anomstream::tools
