#include "anomstream/stats/severity.hpp"

#include <string>

namespace anomstream::stats {

std::string_view to_string(Severity severity) noexcept {
  switch (severity) {
    case Severity::none: return "none";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "unknown";
}

Result<Severity> parse_severity(std::string_view text, std::string_view field) {
  for (const auto severity : {Severity::none, Severity::low, Severity::medium, Severity::high,
                              Severity::critical}) {
    if (text == to_string(severity)) return severity;
  }
  return fail(ErrorCode::parse_error, std::string(field),
              "must be one of none, low, medium, high, critical (got \"" + std::string(text) +
                  "\")");
}

}  // namespace anomstream::stats
