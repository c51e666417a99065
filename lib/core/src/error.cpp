#include "anomstream/core/error.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace anomstream {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_config: return "invalid_config";
    case ErrorCode::non_finite: return "non_finite";
    case ErrorCode::dimension_mismatch: return "dimension_mismatch";
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::not_ready: return "not_ready";
    case ErrorCode::incompatible: return "incompatible";
    case ErrorCode::corrupt_snapshot: return "corrupt_snapshot";
    case ErrorCode::parse_error: return "parse_error";
    case ErrorCode::io_error: return "io_error";
  }
  return "unknown";
}

std::string Error::message() const {
  std::string out(to_string(code));
  out += ": ";
  out += field;
  out += ": ";
  out += bound;
  return out;
}

std::string format_number(double value) {
  if (std::isfinite(value) && std::abs(value) < 1e15 && value == std::trunc(value)) {
    return std::to_string(static_cast<long long>(value));
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", value);
  // Prefer the shortest form that round-trips.
  for (int precision = 1; precision < 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value || std::isnan(value)) {
      return shorter;
    }
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

Status require_finite(std::span<const double> values, std::string_view field) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return fail(ErrorCode::non_finite,
                  std::string(field) + "[" + std::to_string(i) + "]", "must be finite");
    }
  }
  return {};
}

Status require_finite(double value, std::string_view field) {
  if (!std::isfinite(value)) {
    return fail(ErrorCode::non_finite, std::string(field), "must be finite");
  }
  return {};
}

Status require_dimension(std::size_t got, std::size_t expected, std::string_view field) {
  if (got != expected) {
    return fail(ErrorCode::dimension_mismatch, std::string(field),
                "length must be " + std::to_string(expected) + " (got " +
                    std::to_string(got) + ")");
  }
  return {};
}

}  // namespace anomstream
