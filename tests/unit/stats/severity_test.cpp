#include <doctest/doctest.h>

#include <string>

#include "anomstream/stats/severity.hpp"

using anomstream::ErrorCode;
using anomstream::stats::Severity;

TEST_CASE("severity levels compare in order from none to critical") {
  CHECK(Severity::none < Severity::low);
  CHECK(Severity::low < Severity::medium);
  CHECK(Severity::medium < Severity::high);
  CHECK(Severity::high < Severity::critical);
  CHECK(static_cast<std::size_t>(Severity::critical) + 1 == anomstream::stats::SEVERITY_LEVELS);
}

TEST_CASE("severity names round-trip and unknown names are parse errors") {
  for (const auto s : {Severity::none, Severity::low, Severity::medium, Severity::high, Severity::critical}) {
    CHECK(anomstream::stats::parse_severity(to_string(s)).value() == s);
  }
  CHECK(to_string(Severity::critical) == "critical");
  const auto bad = anomstream::stats::parse_severity("severe", "sinks.min_severity");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::parse_error);
  CHECK(bad.error().field == "sinks.min_severity");
}
