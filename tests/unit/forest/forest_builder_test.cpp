#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "anomstream/forest/forest_builder.hpp"

using anomstream::ErrorCode;
using anomstream::forest::ForestBuilder;

namespace {

void check_rejects(const ForestBuilder& builder, const std::string& field) {
  CAPTURE(field);
  auto forest = builder.build();
  REQUIRE_FALSE(forest);
  CHECK(forest.error().code == ErrorCode::invalid_config);
  CHECK(forest.error().field == field);
  CHECK(forest.error().message().find(field) != std::string::npos);
}

ForestBuilder valid() { return ForestBuilder().dimension(4); }

}  // namespace

TEST_CASE("defaults follow the reference: 100 trees of 256, decay 0.1/256, output after 65") {
  auto config = valid().config();
  REQUIRE(config);
  CHECK(config->num_trees == 100);
  CHECK(config->sample_size == 256);
  CHECK(config->time_decay == 0.1 / 256);
  CHECK(config->output_after == 65);
  CHECK(config->initial_accept_fraction == 0.125);
  auto small = valid().sample_size(64).config();
  REQUIRE(small);
  CHECK(small->time_decay == 0.1 / 64);
  CHECK(small->output_after == 17);
  auto explicit_values = valid().sample_size(64).time_decay(0.0).output_after(3).config();
  REQUIRE(explicit_values);
  CHECK(explicit_values->time_decay == 0.0);
  CHECK(explicit_values->output_after == 3);
}

TEST_CASE("every out-of-bound builder field is rejected by name") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  check_rejects(ForestBuilder(), "dimension");
  check_rejects(ForestBuilder().dimension(10001), "dimension");
  check_rejects(valid().num_trees(49), "num_trees");
  check_rejects(valid().num_trees(1001), "num_trees");
  check_rejects(valid().sample_size(0), "sample_size");
  check_rejects(valid().sample_size(2049), "sample_size");
  check_rejects(valid().time_decay(-0.001), "time_decay");
  check_rejects(valid().time_decay(1.5), "time_decay");
  check_rejects(valid().time_decay(nan), "time_decay");
  check_rejects(valid().initial_accept_fraction(-0.1), "initial_accept_fraction");
  check_rejects(valid().initial_accept_fraction(1.01), "initial_accept_fraction");
  check_rejects(valid().initial_accept_fraction(nan), "initial_accept_fraction");
}

TEST_CASE("the bounds themselves are accepted") {
  CHECK(ForestBuilder().dimension(1).num_trees(50).sample_size(1).build());
  CHECK(ForestBuilder().dimension(10000).num_trees(50).sample_size(4).build());
  CHECK(valid().num_trees(1000).sample_size(2).build());
  CHECK(valid().sample_size(2048).num_trees(50).time_decay(1.0).initial_accept_fraction(1.0).build());
  CHECK(valid().num_trees(50).time_decay(0.0).initial_accept_fraction(0.0).build());
}
