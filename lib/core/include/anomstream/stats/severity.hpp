#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "anomstream/core/error.hpp"

namespace anomstream::stats {

// Ordinal severity of an alert, from none to critical; compares in that order
// (Severity::high > Severity::low). SeverityBands maps a score onto it.
enum class Severity : std::uint8_t { none, low, medium, high, critical };

inline constexpr std::size_t SEVERITY_LEVELS = 5;

// "none", "low", "medium", "high", "critical".
[[nodiscard]] std::string_view to_string(Severity severity) noexcept;
// Inverse of to_string; anything else is ErrorCode::parse_error naming `field`.
[[nodiscard]] Result<Severity> parse_severity(std::string_view text,
                                              std::string_view field = "severity");

}  // namespace anomstream::stats
