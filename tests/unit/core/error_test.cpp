#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "anomstream/core/error.hpp"

using anomstream::ErrorCode;

TEST_CASE("require_finite names the offending index") {
  const std::vector<double> v{1.0, std::numeric_limits<double>::quiet_NaN(), 2.0};
  auto status = anomstream::require_finite(v, "point");
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::non_finite);
  CHECK(status.error().field == "point[1]");
  CHECK(anomstream::require_finite(std::vector<double>{1.0, 2.0}, "point"));
  CHECK_FALSE(anomstream::require_finite(std::numeric_limits<double>::infinity(), "x"));
}

TEST_CASE("require_dimension states the expected and the actual length") {
  auto status = anomstream::require_dimension(3, 16, "point");
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::dimension_mismatch);
  CHECK(status.error().message() == "dimension_mismatch: point: length must be 16 (got 3)");
}

TEST_CASE("require_in_range states the bound and rejects NaN") {
  auto bad = anomstream::require_in_range(0.0, 0.001, 1.0, "rate");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "invalid_config: rate: must be in [0.001, 1] (got 0)");
  CHECK_FALSE(anomstream::require_in_range(std::nan(""), 0.0, 1.0, "rate"));
  CHECK(anomstream::require_in_range<std::int64_t>(5, 1, 10, "k"));
}

TEST_CASE("format_number prints the shortest round-trip form") {
  CHECK(anomstream::format_number(0.1) == "0.1");
  CHECK(anomstream::format_number(1e-6) == "1e-06");
  CHECK(anomstream::format_number(100.0) == "100");
}
