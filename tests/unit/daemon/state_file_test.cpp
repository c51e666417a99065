// The state format: library snapshots survive the trip through protobuf unchanged, and a
// state file is refused, with the right reason, when any part of it is wrong.

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>

#include "anomstream/core/random.hpp"
#include "persist/snapshot_codec.hpp"
#include "persist/state_file.hpp"

using namespace anomstream;
using namespace anomstream::daemon;

namespace {

std::vector<double> point(Xoshiro256& rng, std::size_t t, std::size_t dim) {
  std::vector<double> x(dim);
  for (std::size_t j = 0; j < dim; ++j) {
    x[j] = std::sin(2 * std::numbers::pi * static_cast<double>(t) / (20.0 + static_cast<double>(j))) +
           0.1 * rng.uniform01();
  }
  return x;
}

forest::ThresholdedForest trained_forest(std::size_t dim) {
  forest::ThresholdedForestConfig c;
  c.forest.dimension = dim;
  c.forest.num_trees = 50;
  c.forest.sample_size = 64;
  c.forest.seed = 5;
  c.forest.output_after = 16;
  auto f = forest::ThresholdedForest::create(c);
  REQUIRE(f);
  Xoshiro256 rng(3);
  for (std::size_t t = 0; t < 400; ++t) REQUIRE(f->process(point(rng, t, dim)));
  return std::move(*f);
}

template <class Message>
Message reparsed(const Message& m) {
  Message out;
  REQUIRE(out.ParseFromString(m.SerializeAsString()));
  return out;
}

state::v1::TenantState small_body() {
  state::v1::TenantState body;
  body.set_tenant("tenant-a");
  body.set_input_position(400);
  auto* stream = body.add_streams();
  stream->set_stream("s");
  stream->set_dimension(3);
  stream->set_position(400);
  to_proto(trained_forest(3).snapshot(), *stream->mutable_forest()->mutable_forest());
  return body;
}

Fingerprint fingerprint(std::uint8_t fill) {
  Fingerprint f{};
  f.fill(fill);
  return f;
}

}  // namespace

TEST_CASE("every snapshot the pipeline holds comes back unchanged from its protobuf form") {
  const auto forest = trained_forest(4);
  const auto snap = forest.snapshot();
  state::v1::ThresholdedForestState wire;
  to_proto(snap, wire);
  auto back = from_proto(reparsed(wire));
  REQUIRE(back);
  CHECK(back->forest == snap.forest);
  CHECK(back->threshold == snap.threshold);
  CHECK(back->processed == snap.processed);
  // The restored forest continues exactly like the original.
  auto restored = forest::ThresholdedForest::restore(*back);
  REQUIRE(restored);
  auto original = forest::ThresholdedForest::restore(snap);
  REQUIRE(original);
  Xoshiro256 rng(9);
  for (std::size_t t = 0; t < 200; ++t) {
    const auto x = point(rng, 400 + t, 4);
    auto a = original->process(x);
    auto b = restored->process(x);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->score == b->score);
  }

  auto normalizer = stats::Normalizer<>::create(3, {});
  REQUIRE(normalizer);
  for (int i = 0; i < 50; ++i) {
    REQUIRE(normalizer->observe(std::vector<double>{1.0 * i, i % 9 == 4 ? 1e30 : 2.0, -1.0 * i}));
    if (i == 20) {  // inside warm-up: the buffered rows travel too
      state::v1::NormalizerState n;
      to_proto(normalizer->snapshot(), n);
      REQUIRE(n.warmup_size() == 63);
      CHECK(from_proto(reparsed(n)).value() == normalizer->snapshot());
    }
  }
  REQUIRE(normalizer->clipped() >= 1);
  state::v1::NormalizerState n;
  to_proto(normalizer->snapshot(), n);
  CHECK(from_proto(reparsed(n)).value() == normalizer->snapshot());
  auto plain = stats::Normalizer<>::create(3, {.clip_sigmas = std::numeric_limits<double>::infinity()});
  REQUIRE(plain);
  REQUIRE(plain->observe(std::vector<double>{1.0, 2.0, 3.0}));
  state::v1::NormalizerState p;
  to_proto(plain->snapshot(), p);
  CHECK(from_proto(reparsed(p)).value() == plain->snapshot());

  auto drift = drift::MetaDriftDetector::create({});
  REQUIRE(drift);
  for (int i = 0; i < 700; ++i) REQUIRE(drift->observe(1.0 + 0.01 * (i % 7)));
  state::v1::MetaDriftState m;
  to_proto(drift->snapshot(), m);
  CHECK(from_proto(reparsed(m)).value() == drift->snapshot());

  const stats::SeverityBandsSnapshot bands{{.low = 0.1, .medium = 0.3, .high = 0.6, .critical = 0.8}};
  state::v1::SeverityBandsState b;
  to_proto(bands, b);
  CHECK(from_proto(reparsed(b)) == bands);
}

TEST_CASE("the codec refuses what the wire allows but the structs cannot hold") {
  state::v1::ThresholdedForestState wire;
  to_proto(trained_forest(2).snapshot(), wire);
  auto bad = wire;
  bad.mutable_forest()->mutable_trees(0)->clear_rng();
  CHECK(from_proto(bad).error().field == "forest.trees[0].rng");
  bad = wire;
  bad.mutable_forest()->mutable_trees(1)->add_cut_dimensions(70000);
  CHECK(from_proto(bad).error().field == "forest.trees[1].cut_dimensions");
  state::v1::NormalizerState n;
  n.set_kind(static_cast<state::v1::NormalizerKind>(9));
  CHECK(from_proto(n).error().code == ErrorCode::corrupt_snapshot);
}

TEST_CASE("a normaliser state written before clipping existed continues with the default clipping") {
  auto old_kind = stats::Normalizer<>::create(2, {.clip_sigmas = std::numeric_limits<double>::infinity()});
  REQUIRE(old_kind);
  for (int i = 0; i < 40; ++i) REQUIRE(old_kind->observe(std::vector<double>{1.0 * i, 2.0}));
  state::v1::NormalizerState n;
  to_proto(old_kind->snapshot(), n);
  n.clear_clip_sigmas();  // what the old writer left out
  n.clear_warmup_rows();
  auto snap = from_proto(reparsed(n));
  REQUIRE(snap);
  CHECK(snap->clip_sigmas == 4.0);
  CHECK(snap->warmup_rows == 32);
  auto restored = stats::Normalizer<>::restore(*snap);
  REQUIRE(restored);
  CHECK(restored->mean()[0] == old_kind->mean()[0]);
  REQUIRE(restored->observe(std::vector<double>{1e30, 2.0}));
  CHECK(restored->clipped() == 1);
  // One still inside the warm-up rows has no buffer to continue from: refused.
  auto young = stats::Normalizer<>::create(2, {.clip_sigmas = std::numeric_limits<double>::infinity()});
  REQUIRE(young);
  REQUIRE(young->observe(std::vector<double>{1.0, 2.0}));
  state::v1::NormalizerState y;
  to_proto(young->snapshot(), y);
  y.clear_clip_sigmas();
  y.clear_warmup_rows();
  CHECK(stats::Normalizer<>::restore(from_proto(reparsed(y)).value()).error().field == "warmup");
}

TEST_CASE("a state file round-trips and its header states version, tenant, position and digest") {
  const auto body = small_body();
  const auto fp = fingerprint(7);
  const std::string bytes = encode_state_file(body, fp, 1234);
  const std::string tenant = "tenant-a";
  auto file = decode_state_file(bytes, &tenant, &fp);
  REQUIRE(file);
  CHECK(file->header.format_version() == STATE_FORMAT_VERSION);
  CHECK(file->header.tenant() == "tenant-a");
  CHECK(file->header.input_position() == 400);
  CHECK(file->header.written_unix_ns() == 1234);
  CHECK(file->body.SerializeAsString() == body.SerializeAsString());
  auto json = state_file_to_json(bytes);
  REQUIRE(json);
  CHECK(json->find("\"tenant\": \"tenant-a\"") != std::string::npos);
  CHECK(json->find("\"format_version\": 1") != std::string::npos);
}

TEST_CASE("a damaged, foreign or misplaced state file is refused with its reason") {
  const auto fp = fingerprint(7);
  const std::string bytes = encode_state_file(small_body(), fp, 1);
  const std::string tenant = "tenant-a";
  const auto reason = [&](std::string_view b, const std::string* t = nullptr, const Fingerprint* f = nullptr) {
    auto file = decode_state_file(b, t, f);
    REQUIRE_FALSE(file);
    return file.error().problem;
  };
  // Cut anywhere: before the header's end, or inside the body.
  for (std::size_t cut : {0UL, 5UL, 10UL, 40UL, bytes.size() / 2, bytes.size() - 1}) {
    CAPTURE(cut);
    const auto p = reason(std::string_view(bytes).substr(0, cut));
    CHECK((p == StateProblem::truncated || p == StateProblem::bad_header));
  }
  std::string other = bytes;
  other[0] = 'X';
  CHECK(reason(other) == StateProblem::bad_magic);
  other = bytes;
  other[other.size() - 10] ^= 0x01;  // one bit of the body
  CHECK(reason(other) == StateProblem::bad_digest);
  other = bytes + "x";
  CHECK(reason(other) == StateProblem::bad_header);
  other = bytes;
  other[8] = static_cast<char>(0xff);  // a header length far past the limit
  other[9] = static_cast<char>(0xff);
  other[10] = static_cast<char>(0xff);
  CHECK(reason(other) == StateProblem::bad_header);
  const std::string someone = "tenant-b";
  CHECK(reason(bytes, &someone) == StateProblem::wrong_tenant);
  const auto other_config = fingerprint(8);
  CHECK(reason(bytes, &tenant, &other_config) == StateProblem::config_mismatch);

  // A file from a future format version.
  state::v1::Header header;
  const std::uint32_t header_bytes = static_cast<unsigned char>(bytes[8]) |
                                     static_cast<unsigned char>(bytes[9]) << 8 |
                                     static_cast<unsigned char>(bytes[10]) << 16 |
                                     static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[11])) << 24;
  REQUIRE(header.ParseFromString(bytes.substr(12, header_bytes)));
  header.set_format_version(2);
  const std::string new_header = header.SerializeAsString();
  std::string future = bytes.substr(0, 8);
  for (int i = 0; i < 4; ++i) future.push_back(static_cast<char>((new_header.size() >> (8 * i)) & 0xff));
  future += new_header + bytes.substr(12 + header_bytes);
  CHECK(reason(future) == StateProblem::foreign_version);
}
