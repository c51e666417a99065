#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "anomstream/eval/auc.hpp"
#include "golden_vus.hpp"
#include "reference_oracle.hpp"
#include "test_paths.hpp"

using anomstream::ErrorCode;
using anomstream::eval::auc_pr;
using anomstream::eval::auc_pr_trapezoid;
using anomstream::eval::auc_roc;
using anomstream::eval::point_auc;

namespace golden = anomstream::eval::golden;
namespace oracle = anomstream::eval::oracle;

namespace {

constexpr double GOLDEN_TOLERANCE = 1e-9;

// Mann-Whitney: P(score of an anomaly > score of a normal point), ties counting half.
double pairwise_auc(const std::vector<std::uint8_t>& labels, const std::vector<double>& scores) {
  double wins = 0.0;
  double pairs = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = 0; j < labels.size(); ++j) {
      if (labels[i] == 1 && labels[j] == 0) {
        pairs += 1.0;
        wins += scores[i] > scores[j] ? 1.0 : (scores[i] == scores[j] ? 0.5 : 0.0);
      }
    }
  }
  return wins / pairs;
}

// Average precision from its definition: for each distinct threshold t (descending),
// (recall(t) - recall(previous t)) * precision(t), counted point by point.
double direct_average_precision(const std::vector<std::uint8_t>& labels,
                                const std::vector<double>& scores) {
  std::vector<double> thresholds = scores;
  std::sort(thresholds.begin(), thresholds.end(), std::greater<>{});
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  double positives = 0.0;
  for (auto l : labels) positives += l;
  double ap = 0.0;
  double previous_recall = 0.0;
  for (double t : thresholds) {
    double tp = 0.0;
    double predicted = 0.0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (scores[i] >= t) {
        predicted += 1.0;
        tp += labels[i];
      }
    }
    ap += (tp / positives - previous_recall) * (tp / predicted);
    previous_recall = tp / positives;
  }
  return ap;
}

}  // namespace

TEST_CASE("point_auc matches scikit-learn's AUC-ROC, AP and the trapezoidal PR area on the golden cases") {
  const auto dir = anomstream::test::shared_path("golden/vus");
  if (!dir) {
    MESSAGE("../shared/golden/vus is absent: skipping the golden AUC check");
    return;
  }
  for (const auto& gc : golden::read_cases(*dir)) {
    CAPTURE(gc.name);
    const auto input = golden::read_input(*dir / gc.input);
    if (!golden::input_matches_case(input, gc)) {
      CHECK(golden::KNOWN_INCONSISTENT.contains(gc.name));
      continue;
    }
    const auto result = point_auc(input.labels, input.scores);
    REQUIRE(result);
    CHECK(std::abs(result->roc - gc.auc_roc) <= GOLDEN_TOLERANCE);
    CHECK(std::abs(result->pr - gc.auc_pr) <= GOLDEN_TOLERANCE);
    CHECK(std::abs(result->pr_trapezoid - gc.auc_pr_trapz) <= GOLDEN_TOLERANCE);
  }
}

TEST_CASE("auc_roc is the Mann-Whitney statistic and auc_pr the definition of average precision") {
  std::mt19937_64 rng(1234);
  for (int trial = 0; trial < 40; ++trial) {
    const auto series = oracle::random_series(rng, 30 + rng() % 150);
    CAPTURE(trial);
    CHECK(*auc_roc(series.labels, series.scores) ==
          doctest::Approx(pairwise_auc(series.labels, series.scores)).epsilon(1e-12));
    CHECK(*auc_pr(series.labels, series.scores) ==
          doctest::Approx(direct_average_precision(series.labels, series.scores)).epsilon(1e-12));
  }
}

TEST_CASE("auc_roc is antisymmetric under flipping the scores or the labels") {
  std::mt19937_64 rng(77);
  const auto series = oracle::random_series(rng, 300);
  std::vector<double> negated;
  for (double s : series.scores) negated.push_back(-s);
  std::vector<std::uint8_t> flipped;
  for (auto l : series.labels) flipped.push_back(static_cast<std::uint8_t>(1 - l));
  const double base = *auc_roc(series.labels, series.scores);
  CHECK(*auc_roc(series.labels, negated) == doctest::Approx(1.0 - base).epsilon(1e-12));
  CHECK(*auc_roc(flipped, series.scores) == doctest::Approx(1.0 - base).epsilon(1e-12));
}

TEST_CASE("perfect, inverted and constant detectors give the textbook areas") {
  const std::vector<std::uint8_t> labels{0, 1, 1, 0, 0, 0, 1, 0, 0, 0};
  std::vector<double> perfect(labels.begin(), labels.end());
  std::vector<double> inverted;
  for (auto l : labels) inverted.push_back(1.0 - l);
  const std::vector<double> constant(labels.size(), 0.5);

  const auto p = point_auc(labels, perfect);
  REQUIRE(p);
  CHECK(p->roc == 1.0);
  CHECK(p->pr == 1.0);
  CHECK(p->pr_trapezoid == 1.0);

  const auto i = point_auc(labels, inverted);
  REQUIRE(i);
  CHECK(i->roc == 0.0);
  CHECK(i->pr == doctest::Approx(0.3));  // one step to recall 1 at precision P/T

  const auto c = point_auc(labels, constant);
  REQUIRE(c);
  CHECK(c->roc == 0.5);
  CHECK(c->pr == doctest::Approx(0.3));
  CHECK(c->pr_trapezoid == doctest::Approx((1.0 + 0.3) / 2.0));  // from (0, 1) to (1, 0.3)
}

TEST_CASE("point-wise AUCs reject a single class and bad values") {
  const std::vector<double> scores{0.1, 0.2, 0.3};
  auto none = auc_roc(std::vector<std::uint8_t>{0, 0, 0}, scores);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::invalid_input);
  auto all = auc_pr(std::vector<std::uint8_t>{1, 1, 1}, scores);
  REQUIRE_FALSE(all);
  auto nan = auc_pr_trapezoid(std::vector<std::uint8_t>{0, 1, 0},
                              std::vector<double>{0.1, std::nan(""), 0.3});
  REQUIRE_FALSE(nan);
  CHECK(nan.error().field == "scores[1]");
}
