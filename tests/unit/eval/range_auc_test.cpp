#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "anomstream/eval/range_auc.hpp"
#include "anomstream/eval/vus.hpp"
#include "golden_vus.hpp"
#include "reference_oracle.hpp"
#include "test_paths.hpp"

using anomstream::ErrorCode;
using anomstream::eval::range_auc;
using anomstream::eval::range_auc_pr;
using anomstream::eval::range_auc_roc;

namespace golden = anomstream::eval::golden;
namespace oracle = anomstream::eval::oracle;

namespace {
constexpr double GOLDEN_TOLERANCE = 1e-9;
constexpr double ORACLE_TOLERANCE = 1e-12;
}  // namespace

TEST_CASE("range_auc matches the VUS package's RangeAUC on every golden case") {
  const auto dir = anomstream::test::shared_path("golden/vus");
  if (!dir) {
    MESSAGE("../shared/golden/vus is absent: skipping the golden range-AUC check");
    return;
  }
  std::size_t checked = 0;
  const auto cases = golden::read_cases(*dir);
  for (const auto& gc : cases) {
    CAPTURE(gc.name);
    const auto input = golden::read_input(*dir / gc.input);
    if (!golden::input_matches_case(input, gc)) {
      CHECK(golden::KNOWN_INCONSISTENT.contains(gc.name));
      continue;
    }
    const auto result = range_auc(input.labels, input.scores, gc.window);
    REQUIRE(result);
    CHECK(std::abs(result->pr - gc.r_auc_pr) <= GOLDEN_TOLERANCE);
    CHECK(std::abs(result->roc - gc.r_auc_roc) <= GOLDEN_TOLERANCE);
    ++checked;
  }
  CHECK(checked + golden::KNOWN_INCONSISTENT.size() >= cases.size());
}

TEST_CASE("range_auc agrees with a literal transcription of RangeAUC on random series") {
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 80; ++trial) {
    const std::size_t length = 10 + rng() % 250;
    const auto series = oracle::random_series(rng, length);
    const std::size_t window = rng() % 30;
    const std::size_t thresholds =
        trial < 2 ? static_cast<std::size_t>(trial) + 1 : (trial % 5 == 0 ? 1 + rng() % 30 : 250);
    CAPTURE(trial);
    CAPTURE(window);
    const auto fast = range_auc(series.labels, series.scores, window, thresholds);
    REQUIRE(fast);
    const auto slow = oracle::range_auc(series.labels, series.scores,
                                        static_cast<std::ptrdiff_t>(window), thresholds);
    CHECK(std::abs(fast->pr - slow.pr) <= ORACLE_TOLERANCE);
    CHECK(std::abs(fast->roc - slow.roc) <= ORACLE_TOLERANCE);
  }
}

TEST_CASE("buffers that only touch form one run for range_auc but two segments for vus") {
  // Ranges [3,3] and [8,8] with window 4 (half 2): the buffers [1,5] and [6,10] touch.
  // Only the first range is hit at the top threshold, so the existence ratio there is
  // 1/2 under TSB-AD's segmentation and 1 under the VUS package's runs.
  std::vector<std::uint8_t> labels(14, 0);
  labels[3] = 1;
  labels[8] = 1;
  std::vector<double> scores(14, 0.0);
  scores[3] = 1.0;
  const auto run = range_auc(labels, scores, 4, 250);
  const auto slow = oracle::range_auc(labels, scores, 4, 250);
  REQUIRE(run);
  CHECK(std::abs(run->roc - slow.roc) <= ORACLE_TOLERANCE);
  const auto vus = anomstream::eval::range_vus(labels, scores, 4, 250);
  const auto vus_slow = oracle::range_auc_volume_opt(labels, scores, 4, 250);
  REQUIRE(vus);
  CHECK(std::abs(vus->roc_per_window[4] - vus_slow.per_window[4].roc) <= ORACLE_TOLERANCE);
  CHECK(std::abs(vus->pr_per_window[4] - vus_slow.per_window[4].pr) <= ORACLE_TOLERANCE);
}

TEST_CASE("without buffers range_auc is 1 for a perfect detector and its ROC equals VUS buffer 0") {
  std::vector<std::uint8_t> labels{0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0};
  std::vector<double> perfect(labels.begin(), labels.end());
  for (std::size_t window : {0U, 1U}) {
    const auto result = range_auc(labels, perfect, window);
    REQUIRE(result);
    CHECK(result->roc == 1.0);
    CHECK(result->pr == 1.0);
  }
  std::mt19937_64 rng(17);
  const auto series = oracle::random_series(rng, 200);
  const auto r = range_auc(series.labels, series.scores, 0);
  const auto v = anomstream::eval::range_vus(series.labels, series.scores, 0);
  REQUIRE(r);
  REQUIRE(v);
  CHECK(r->roc == doctest::Approx(v->vus_roc).epsilon(1e-14));
}

TEST_CASE("range_auc rejects malformed input") {
  const std::vector<std::uint8_t> labels{0, 1, 0};
  auto mismatch = range_auc_pr(labels, std::vector<double>{1.0}, 2);
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == ErrorCode::dimension_mismatch);
  auto none = range_auc_roc(std::vector<std::uint8_t>{0, 0, 0}, std::vector<double>{1, 2, 3}, 2);
  REQUIRE_FALSE(none);
  CHECK(none.error().field == "labels");
  auto inf = range_auc(labels, std::vector<double>{1.0, INFINITY, 0.0}, 2);
  REQUIRE_FALSE(inf);
  CHECK(inf.error().code == ErrorCode::non_finite);
}
