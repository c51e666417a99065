#include <doctest/doctest.h>

#include "anomstream/forest/feature_groups.hpp"

using anomstream::ErrorCode;
using anomstream::forest::DiVector;
using anomstream::forest::FeatureGroup;
using anomstream::forest::FeatureGroups;

TEST_CASE("group contributions are the sums of their dimensions and add up to the total") {
  auto groups = FeatureGroups::create(4, {{"latency", {0, 2}}, {"errors", {1, 3}}});
  REQUIRE(groups);
  DiVector a(4);
  a.high = {1.0, 0.5, 0.25, 0.0};
  a.low = {0.0, 0.125, 0.0, 2.0};
  auto c = groups->contributions(a);
  REQUIRE(c);
  REQUIRE(c->size() == 2);
  CHECK((*c)[0].name == "latency");
  CHECK((*c)[0].high == 1.25);
  CHECK((*c)[0].low == 0.0);
  CHECK((*c)[1].total() == 0.5 + 0.125 + 2.0);
  CHECK((*c)[0].total() + (*c)[1].total() == a.total());
  CHECK(groups->contributions(DiVector(3)).error().code == ErrorCode::dimension_mismatch);
}

TEST_CASE("invalid groups are rejected naming the field") {
  const auto field_of = [](std::vector<FeatureGroup> g) {
    auto r = FeatureGroups::create(4, std::move(g));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::invalid_config);
    return r.error().field;
  };
  CHECK(field_of({}) == "groups");
  CHECK(field_of({{"", {0}}}) == "groups[0].name");
  CHECK(field_of({{"a", {0}}, {"a", {1}}}) == "groups[1].name");
  CHECK(field_of({{"a", {}}}) == "groups[0].dimensions");
  CHECK(field_of({{"a", {0, 4}}}) == "groups[0].dimensions[1]");
  CHECK(field_of({{"a", {0}}, {"b", {1, 0}}}) == "groups[1].dimensions[1]");
}
