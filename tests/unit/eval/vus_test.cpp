#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "anomstream/eval/vus.hpp"
#include "golden_vus.hpp"
#include "reference_oracle.hpp"
#include "golden.hpp"

using anomstream::ErrorCode;
using anomstream::eval::range_vus;
using anomstream::eval::vus_pr;
using anomstream::eval::vus_roc;

namespace golden = anomstream::eval::golden;
namespace oracle = anomstream::eval::oracle;

namespace {

constexpr double GOLDEN_TOLERANCE = 1e-9;
// The fast engine and the literal transcription sum the same terms in a different
// order; a few hundred terms of size <= 1 differ by well under 1e-12.
constexpr double ORACLE_TOLERANCE = 1e-12;

std::vector<std::uint8_t> labels_from(std::initializer_list<int> values) {
  return {values.begin(), values.end()};
}

}  // namespace

TEST_CASE("golden vus: TSB-AD's VUS-PR and VUS-ROC on every case, per window, to 1e-9") {
  const auto dir = anomstream::test::golden_set("vus");
  if (!dir) return;
  const auto cases = golden::read_cases(*dir);
  const auto per_window = golden::read_per_window(*dir);
  REQUIRE(cases.size() >= 48);
  std::size_t checked = 0;
  for (const auto& gc : cases) {
    CAPTURE(gc.name);
    const auto input = golden::read_input(*dir / gc.input);
    if (!golden::input_matches_case(input, gc)) {
      CHECK_MESSAGE(golden::KNOWN_INCONSISTENT.contains(gc.name),
                    "golden input disagrees with its own row");
      MESSAGE(gc.name << ": input " << gc.input
                      << " disagrees with the case's n / n_anom_points / n_anom_ranges; "
                         "its expected values describe another labelling, not checked");
      continue;
    }
    const auto result = range_vus(input.labels, input.scores, gc.window);
    REQUIRE(result);
    CHECK(std::abs(result->vus_pr - gc.vus_pr) <= GOLDEN_TOLERANCE);
    CHECK(std::abs(result->vus_roc - gc.vus_roc) <= GOLDEN_TOLERANCE);
    const auto& expected = per_window.at(gc.name);
    REQUIRE(result->pr_per_window.size() == expected.size());
    REQUIRE(result->roc_per_window.size() == expected.size());
    for (std::size_t w = 0; w < expected.size(); ++w) {
      CAPTURE(w);
      CHECK(std::abs(result->pr_per_window[w] - expected[w].pr) <= GOLDEN_TOLERANCE);
      CHECK(std::abs(result->roc_per_window[w] - expected[w].roc) <= GOLDEN_TOLERANCE);
    }
    ++checked;
  }
  CHECK(checked + golden::KNOWN_INCONSISTENT.size() >= cases.size());
}

TEST_CASE("vus agrees with a literal transcription of RangeAUC_volume_opt on random series") {
  std::mt19937_64 rng(20240611);
  for (int trial = 0; trial < 60; ++trial) {
    const std::size_t length = 20 + rng() % 180;
    const auto series = oracle::random_series(rng, length);
    const std::size_t window = rng() % 13;
    // A single threshold (the top score only), two, a few dozen, and TSB-AD's 250.
    const std::size_t thresholds =
        trial < 2 ? static_cast<std::size_t>(trial) + 1 : (trial % 4 == 0 ? 1 + rng() % 40 : 250);
    CAPTURE(trial);
    CAPTURE(length);
    CAPTURE(window);
    CAPTURE(thresholds);
    const auto fast = range_vus(series.labels, series.scores, window, thresholds);
    REQUIRE(fast);
    const auto slow = oracle::range_auc_volume_opt(
        series.labels, series.scores, static_cast<std::ptrdiff_t>(window), thresholds);
    CHECK(std::abs(fast->vus_pr - slow.pr) <= ORACLE_TOLERANCE);
    CHECK(std::abs(fast->vus_roc - slow.roc) <= ORACLE_TOLERANCE);
    for (std::size_t w = 0; w <= window; ++w) {
      CHECK(std::abs(fast->pr_per_window[w] - slow.per_window[w].pr) <= ORACLE_TOLERANCE);
      CHECK(std::abs(fast->roc_per_window[w] - slow.per_window[w].roc) <= ORACLE_TOLERANCE);
    }
  }
}

TEST_CASE("vus agrees with the transcription on a longer series with many close ranges") {
  std::vector<std::uint8_t> labels(1500, 0);
  for (std::size_t start = 40; start + 6 < labels.size(); start += 23 + start % 17) {
    for (std::size_t i = start; i < start + 1 + start % 6; ++i) labels[i] = 1;
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> scores;
  for (auto label : labels) scores.push_back(std::round(10 * (label * 0.3 + unit(rng))));
  const auto fast = range_vus(labels, scores, 40);
  REQUIRE(fast);
  const auto slow = oracle::range_auc_volume_opt(labels, scores, 40, 250);
  CHECK(std::abs(fast->vus_pr - slow.pr) <= ORACLE_TOLERANCE);
  CHECK(std::abs(fast->vus_roc - slow.roc) <= ORACLE_TOLERANCE);
}

TEST_CASE("a perfect detector scores VUS-PR 1 and VUS-ROC 1 for every window") {
  auto labels = labels_from({0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0});
  std::vector<double> scores(labels.begin(), labels.end());
  for (std::size_t window : {0U, 1U, 2U, 5U, 12U, 40U}) {
    CAPTURE(window);
    const auto result = range_vus(labels, scores, window);
    REQUIRE(result);
    CHECK(result->vus_pr == 1.0);
    CHECK(result->vus_roc == 1.0);
  }
}

TEST_CASE("an inverted perfect detector has VUS-ROC 0 without buffers") {
  auto labels = labels_from({0, 0, 1, 1, 0, 0, 0, 1, 0, 0});
  std::vector<double> scores;
  for (auto label : labels) scores.push_back(1.0 - label);
  const auto result = range_vus(labels, scores, 0);
  REQUIRE(result);
  CHECK(result->vus_roc == 0.0);
  CHECK(result->vus_pr == doctest::Approx(3.0 / 10.0));  // every point at the last threshold
}

TEST_CASE("vus depends only on the order of the scores") {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 10; ++trial) {
    const auto series = oracle::random_series(rng, 300);
    std::vector<double> shifted, squashed;
    for (double s : series.scores) {
      shifted.push_back(2.0 * s + 1000.0);
      squashed.push_back(std::atan(s));
    }
    const auto base = range_vus(series.labels, series.scores, 9);
    const auto a = range_vus(series.labels, shifted, 9);
    const auto b = range_vus(series.labels, squashed, 9);
    REQUIRE(base);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->vus_pr == base->vus_pr);
    CHECK(a->vus_roc == base->vus_roc);
    CHECK(b->vus_pr == base->vus_pr);
    CHECK(b->vus_roc == base->vus_roc);
  }
}

TEST_CASE("each buffer's area does not depend on the largest buffer, and VUS is their mean") {
  std::mt19937_64 rng(3);
  const auto series = oracle::random_series(rng, 400);
  const auto wide = range_vus(series.labels, series.scores, 16);
  REQUIRE(wide);
  double pr_sum = 0.0;
  double roc_sum = 0.0;
  for (std::size_t w = 0; w <= 16; ++w) {
    const auto narrow = range_vus(series.labels, series.scores, w);
    REQUIRE(narrow);
    CHECK(narrow->pr_per_window[w] == wide->pr_per_window[w]);
    CHECK(narrow->roc_per_window[w] == wide->roc_per_window[w]);
    pr_sum += wide->pr_per_window[w];
    roc_sum += wide->roc_per_window[w];
  }
  CHECK(wide->vus_pr == pr_sum / 17.0);
  CHECK(wide->vus_roc == roc_sum / 17.0);
  // Buffers 0 and 1 both have half-width 0.
  CHECK(wide->pr_per_window[0] == wide->pr_per_window[1]);
}

TEST_CASE("with one range and every score a threshold, buffer 0 is point-wise AP and ROC") {
  // T = 250 = thresholds, distinct scores: every rank is sampled; one range makes the
  // existence ratio 1 whenever recall > 0, so the curve is the point-wise one.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::uint8_t> labels(250, 0);
  for (std::size_t i = 100; i < 130; ++i) labels[i] = 1;
  std::vector<double> scores;
  for (auto label : labels) scores.push_back(unit(rng) + 0.4 * label);
  const auto result = range_vus(labels, scores, 0);
  REQUIRE(result);
  // Direct point-wise average precision and Mann-Whitney AUC.
  double ap = 0.0;
  double pairs = 0.0;
  std::vector<std::size_t> order(250);
  for (std::size_t i = 0; i < 250; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
  double tp = 0.0;
  for (std::size_t r = 0; r < order.size(); ++r) {
    if (labels[order[r]] != 0) {
      tp += 1.0;
      ap += (tp / static_cast<double>(r + 1)) / 30.0;
    } else {
      pairs += tp;
    }
  }
  CHECK(result->vus_pr == doctest::Approx(ap).epsilon(1e-12));
  CHECK(result->vus_roc == doctest::Approx(pairs / (30.0 * 220.0)).epsilon(1e-12));
}

TEST_CASE("vus rejects inputs on which the reference crashes or that are malformed") {
  const auto labels = labels_from({0, 1, 1, 0});
  const std::vector<double> scores{0.1, 0.9, 0.8, 0.2};

  auto mismatch = vus_pr(labels, std::vector<double>{0.1, 0.2}, 2);
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == ErrorCode::dimension_mismatch);
  CHECK(mismatch.error().field == "scores");

  auto empty = vus_pr({}, {}, 2);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().field == "labels");

  auto no_anomaly = vus_pr(labels_from({0, 0, 0, 0}), scores, 2);
  REQUIRE_FALSE(no_anomaly);
  CHECK(no_anomaly.error().code == ErrorCode::invalid_input);
  CHECK(no_anomaly.error().bound.find("at least one anomaly") != std::string::npos);

  auto all_anomaly = vus_roc(labels_from({1, 1, 1, 1}), scores, 2);
  REQUIRE_FALSE(all_anomaly);
  CHECK(all_anomaly.error().bound.find("at least one normal point") != std::string::npos);

  auto bad_label = vus_pr(labels_from({0, 2, 1, 0}), scores, 2);
  REQUIRE_FALSE(bad_label);
  CHECK(bad_label.error().field == "labels[1]");

  auto nan = vus_pr(labels, std::vector<double>{0.1, std::nan(""), 0.8, 0.2}, 2);
  REQUIRE_FALSE(nan);
  CHECK(nan.error().code == ErrorCode::non_finite);
  CHECK(nan.error().field == "scores[1]");

  auto no_thresholds = vus_pr(labels, scores, 2, 0);
  REQUIRE_FALSE(no_thresholds);
  CHECK(no_thresholds.error().code == ErrorCode::invalid_config);
  CHECK(no_thresholds.error().field == "thresholds");

  auto huge_window = vus_pr(labels, scores, anomstream::eval::MAX_SLIDING_WINDOW + 1);
  REQUIRE_FALSE(huge_window);
  CHECK(huge_window.error().field == "window");
}
