#pragma once
// Error values returned by every validating constructor and by the per-observation
// path. An Error names what went wrong (`code`), which field or argument (`field`) and
// the bound it broke (`bound`), so a caller can print one line a user can act on.

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace anomstream {

enum class ErrorCode : std::uint8_t {
  invalid_config,      // a construction parameter is outside its documented bound
  non_finite,          // NaN or +/-infinity in an input value
  dimension_mismatch,  // input length differs from the configured dimension
  invalid_input,       // any other per-call input problem
  not_ready,           // the object has not seen enough data to answer
  incompatible,        // merge or restore between objects of different configuration
  corrupt_snapshot,    // a snapshot violates its own invariants
  parse_error,         // malformed text or binary input
  io_error,            // a file or socket operation failed
};

std::string_view to_string(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::invalid_input;
  std::string field;  // the parameter, key path or argument at fault
  std::string bound;  // what was expected, e.g. "in [1, 10000]", "finite", "== 16"

  // "invalid_config: compression: must be in [20, 10000]"
  [[nodiscard]] std::string message() const;
  friend bool operator==(const Error&, const Error&) = default;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string field,
                                                 std::string bound) {
  return std::unexpected<Error>(Error{code, std::move(field), std::move(bound)});
}

// Shortest decimal text that reads back as the same double ("0.1", "1e-06").
[[nodiscard]] std::string format_number(double value);

// Validation helpers shared by the constructors and the observation path.
[[nodiscard]] Status require_finite(std::span<const double> values, std::string_view field);
[[nodiscard]] Status require_finite(double value, std::string_view field);
[[nodiscard]] Status require_dimension(std::size_t got, std::size_t expected,
                                       std::string_view field);

// "must be in [lo, hi] (got v)" unless lo <= value <= hi (NaN fails).
template <class T>
[[nodiscard]] Status require_in_range(T value, T lo, T hi, std::string_view field) {
  if (value >= lo && value <= hi) {
    return {};
  }
  auto text = [](T v) {
    if constexpr (std::is_floating_point_v<T>) {
      return format_number(static_cast<double>(v));
    } else {
      return std::to_string(v);
    }
  };
  return fail(ErrorCode::invalid_config, std::string(field),
              "must be in [" + text(lo) + ", " + text(hi) + "] (got " + text(value) + ")");
}

}  // namespace anomstream
