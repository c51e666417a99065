#pragma once
// The hot path between the daemon's ingest threads and its scoring workers, in the order
// an observation meets it: UpdateSampler (does it train the model?), PrefixRateCap (is
// its source over budget?), update_channel (hand-off to the worker that owns its tenant),
// and MetricsBatcher/MetricsSink (counting each outcome). The most used names are also
// available in namespace anomstream.

#include "anomstream/hotpath/counting_sink.hpp"
#include "anomstream/hotpath/metrics_batcher.hpp"
#include "anomstream/hotpath/metrics_sink.hpp"
#include "anomstream/hotpath/prefix_rate_cap.hpp"
#include "anomstream/hotpath/update_channel.hpp"
#include "anomstream/hotpath/update_sampler.hpp"

namespace anomstream {

using hotpath::MetricsBatcher;
using hotpath::MetricsSink;
using hotpath::PrefixRateCap;
using hotpath::Receiver;
using hotpath::Sender;
using hotpath::try_update_channel;
using hotpath::update_channel;
using hotpath::UpdateSampler;

}  // namespace anomstream
