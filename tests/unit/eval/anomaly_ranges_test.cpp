#include <doctest/doctest.h>

#include <vector>

#include "anomstream/eval/anomaly_ranges.hpp"

using anomstream::ErrorCode;
using anomstream::eval::anomaly_ranges;
using anomstream::eval::AnomalyRange;

TEST_CASE("anomaly_ranges finds maximal runs of 1, including at both ends") {
  const std::vector<std::uint8_t> labels{1, 1, 0, 0, 1, 0, 1, 1, 1};
  const auto ranges = anomaly_ranges(labels);
  REQUIRE(ranges);
  CHECK(*ranges == std::vector<AnomalyRange>{{0, 1}, {4, 4}, {6, 8}});
  CHECK((*ranges)[2].length() == 3);
  CHECK(anomaly_ranges(std::vector<std::uint8_t>{0, 0, 0})->empty());
  CHECK(anomaly_ranges(std::vector<std::uint8_t>{})->empty());
}

TEST_CASE("anomaly_ranges rejects labels other than 0 and 1") {
  const auto bad = anomaly_ranges(std::vector<std::uint8_t>{0, 1, 3});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::invalid_input);
  CHECK(bad.error().message() == "invalid_input: labels[2]: must be 0 or 1 (got 3)");
}
