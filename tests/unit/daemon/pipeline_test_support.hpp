#pragma once
// Helpers the stream-pipeline tests share: a pipeline's state after a trip through the
// wire, and the check that two pipelines fed the same observations behave identically.

#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "pipeline/stream_pipeline.hpp"

namespace anomstream::daemon::test {

// The pipeline's state, serialised and parsed back as a state file would carry it.
inline state::v1::StreamState state_of(const StreamPipeline& p, const std::string& stream = "s") {
  state::v1::StreamState out;
  p.snapshot(stream, out);
  state::v1::StreamState parsed;
  REQUIRE(parsed.ParseFromString(out.SerializeAsString()));
  return parsed;
}

// Feeds observations [from, to) of `next` to both pipelines and requires equal scores and
// byte-equal alerts; returns how many alerts the comparison covered.
inline int same_continuation(StreamPipeline& a, StreamPipeline& b, std::int64_t from, std::int64_t to,
                             const std::function<WorkItem(std::int64_t)>& next) {
  int alerts = 0;
  for (std::int64_t t = from; t < to; ++t) {
    const auto w = next(t);
    auto x = a.process(w);
    auto y = b.process(w);
    REQUIRE(x);
    REQUIRE(y);
    REQUIRE(x->score == y->score);
    REQUIRE(x->alert.has_value() == y->alert.has_value());
    if (x->alert) {
      ++alerts;
      CHECK(x->alert->SerializeAsString() == y->alert->SerializeAsString());
    }
  }
  return alerts;
}

}  // namespace anomstream::daemon::test
