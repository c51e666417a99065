#pragma once
// AlertRecord: the immutable envelope of one alert as it leaves the pipeline, and its
// JSON form (one object on one line, schema docs/alert-record.schema.json, version
// ALERT_RECORD_SCHEMA_VERSION).
//
// AlertContext is the plain, writable struct the pipeline fills; AlertRecord::create
// checks it once and freezes it, so every AlertRecord in the program is valid: non-empty
// ids of at most MAX_TEXT_BYTES, times >= 0, a finite score, a probability in [0, 1],
// finite attribution shares, at most MAX_ATTRIBUTION entries. to_json() writes the keys
// in the schema's order, numbers as their shortest round-trip text (std::to_chars), so
// from_json(to_json(r)) == r exactly.
// from_json() is strict: it rejects unknown keys, missing required keys, duplicated
// keys, values of the wrong JSON type, values outside the bounds above, a schema
// version other than this one, and text after the object, with an Error naming the
// key (e.g. "attribution[2].share"; parse_error for syntax and types, the create()
// codes for bounds).
// Memory: the strings and the attribution vector; to_json() allocates its result.
// Time: O(size of the record).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "anomstream/core/error.hpp"
#include "anomstream/stats/severity.hpp"

namespace anomstream::triage {

inline constexpr std::uint64_t ALERT_RECORD_SCHEMA_VERSION = 1;

enum class AttributionDirection : std::uint8_t { high, low };

// One feature's part in the score.
struct AttributionEntry {
  std::uint64_t index = 0;  // the feature
  double share = 0.0;       // its share of the score (finite)
  AttributionDirection direction = AttributionDirection::high;  // above or below expected

  friend bool operator==(const AttributionEntry&, const AttributionEntry&) = default;
};

struct AlertContext {
  std::string alert_id;
  std::string tenant;
  std::string stream;
  std::int64_t timestamp_ns = 0;  // the observation's own time
  std::int64_t received_ns = 0;   // when the daemon received it
  std::int64_t emitted_ns = 0;    // when the alert was raised
  double score = 0.0;
  double probability = 0.0;  // calibrated (PlattCalibrator), [0, 1]
  stats::Severity severity = stats::Severity::none;
  std::vector<AttributionEntry> attribution;  // largest first, by convention
  std::uint64_t cluster_id = 0;               // 0: not clustered
  std::string model_version;

  friend bool operator==(const AlertContext&, const AlertContext&) = default;
};

class AlertRecord {
 public:
  static constexpr std::size_t MAX_TEXT_BYTES = 512;
  static constexpr std::size_t MAX_ATTRIBUTION = 4096;

  [[nodiscard]] static Result<AlertRecord> create(AlertContext context);
  [[nodiscard]] static Result<AlertRecord> from_json(std::string_view text);

  [[nodiscard]] std::string to_json() const;
  [[nodiscard]] const AlertContext& context() const noexcept { return context_; }
  [[nodiscard]] std::uint64_t schema_version() const noexcept { return ALERT_RECORD_SCHEMA_VERSION; }

  friend bool operator==(const AlertRecord&, const AlertRecord&) = default;

 private:
  explicit AlertRecord(AlertContext context) : context_(std::move(context)) {}
  AlertContext context_;
};

// "high", "low".
[[nodiscard]] std::string_view to_string(AttributionDirection direction) noexcept;

}  // namespace anomstream::triage
