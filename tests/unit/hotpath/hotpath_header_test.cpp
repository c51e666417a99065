#include <doctest/doctest.h>

#include "anomstream/hotpath/hotpath.hpp"

TEST_CASE("the umbrella header re-exports the hot path types at anomstream::") {
  auto sampler = anomstream::UpdateSampler::every(2);
  auto cap = anomstream::PrefixRateCap::disabled();
  auto [tx, rx] = anomstream::update_channel<int>(4);
  anomstream::hotpath::CountingSink sink;
  anomstream::MetricsBatcher batcher(sink);
  REQUIRE(sampler.has_value());
  CHECK(sampler->should_update(std::uint64_t{1}));
  CHECK(cap.allow(std::uint64_t{1}, 0));
  CHECK(tx.try_send(1) == anomstream::hotpath::SendStatus::sent);
  CHECK(*rx.try_recv() == 1);
  batcher.add(anomstream::hotpath::CounterId{0U});
  batcher.flush_metrics();
  CHECK(sink.total(anomstream::hotpath::CounterId{0U}) == 1);
}
