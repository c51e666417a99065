// Conformance with AWS randomcutforest (rcflib 4.0.0) on the golden streams: rank
// agreement, score scale, outlier ranks and separation. The figures printed here are the
// ones in docs/conformance_rcf.md (run: unit_forest -tc="golden rcf*" -s).

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <span>
#include <vector>

#include "anomstream/forest/forest_builder.hpp"
#include "golden.hpp"
#include "golden_data.hpp"
#include "rank_statistics.hpp"
#include "test_paths.hpp"

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitised builds run ~20x slower: check a prefix (20 outliers) to stay well under a
// minute. Release builds check the whole stream.
constexpr std::size_t ROWS = 20000;
#else
constexpr std::size_t ROWS = 100000;
#endif
constexpr std::size_t FIRST_COMPARED = 1000;  // the README's comparison window t >= 1000

struct Summary {
  double spearman = 0;
  double self_spearman = 0;  // ours (seed 42) against ours with seed 7
  double inlier_mean = 0;
  double reference_inlier_mean = 0;
  double outlier_mean = 0;
  double reference_outlier_mean = 0;
  double min_outlier_percentile = 0;
  double reference_min_outlier_percentile = 0;
  double median_outlier_percentile = 0;
  double auc = 0;
  double reference_auc = 0;
  double max_inlier = 0;
  double min_outlier = 0;
  std::size_t outliers = 0;
};

struct Outliers {
  double mean = 0;
  double min_percentile = 0;
  double median_percentile = 0;
  double inlier_mean = 0;
  double max_inlier = 0;
  double min_outlier = 0;
};

Outliers outlier_stats(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<double> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> percentiles;
  Outliers out;
  out.min_outlier = 1e300;
  double inlier_sum = 0;
  std::size_t inliers = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 0) {
      percentiles.push_back(anomstream::test::percentile_of(sorted, scores[i]));
      out.mean += scores[i];
      out.min_outlier = std::min(out.min_outlier, scores[i]);
    } else {
      inlier_sum += scores[i];
      ++inliers;
      out.max_inlier = std::max(out.max_inlier, scores[i]);
    }
  }
  std::sort(percentiles.begin(), percentiles.end());
  out.mean /= static_cast<double>(percentiles.size());
  out.min_percentile = percentiles.front();
  out.median_percentile = percentiles[percentiles.size() / 2];
  out.inlier_mean = inlier_sum / static_cast<double>(inliers);
  return out;
}

// The reference's configuration (README): 100 trees, sample 256, time decay 0.1/256,
// initial accept fraction 0.125, output after 65; score, then update.
std::vector<double> run_stream(const anomstream::test::GoldenStream& golden, std::size_t rows,
                               std::uint64_t seed, std::size_t trees = 100) {
  auto forest = anomstream::forest::ForestBuilder()
                    .dimension(golden.dimension)
                    .num_trees(trees)
                    .sample_size(256)
                    .seed(seed)
                    .time_decay(0.1 / 256)
                    .initial_accept_fraction(0.125)
                    .output_after(65)
                    .build();
  REQUIRE(forest);
  std::vector<double> scores(rows);
  for (std::size_t t = 0; t < rows; ++t) {
    auto score = forest->score_and_update(
        std::span<const double>(golden.values.data() + t * golden.dimension, golden.dimension));
    REQUIRE(score);
    scores[t] = *score;
  }
  return scores;
}

Summary run_reference_configuration(const anomstream::test::GoldenStream& golden) {
  const std::size_t rows = std::min(ROWS, golden.rows());
  const std::vector<double> ours = run_stream(golden, rows, 42);  // the reference's seed
  const std::vector<double> other_seed = run_stream(golden, rows, 7);
  // Before output_after the score is exactly 0, as the reference's.
  for (std::size_t t = 0; t < 65; ++t) {
    REQUIRE(ours[t] == 0.0);
  }
  CHECK(ours[65] > 0.0);

  const std::vector<double> a(ours.begin() + FIRST_COMPARED, ours.end());
  const std::vector<double> b(golden.reference_scores.begin() + FIRST_COMPARED,
                              golden.reference_scores.begin() + static_cast<long>(rows));
  const std::vector<int> labels(golden.labels.begin() + FIRST_COMPARED,
                                golden.labels.begin() + static_cast<long>(rows));
  Summary s;
  s.spearman = anomstream::test::spearman(a, b);
  s.self_spearman = anomstream::test::spearman(
      a, std::vector<double>(other_seed.begin() + FIRST_COMPARED, other_seed.end()));
  const Outliers mine = outlier_stats(a, labels);
  const Outliers theirs = outlier_stats(b, labels);
  s.inlier_mean = mine.inlier_mean;
  s.reference_inlier_mean = theirs.inlier_mean;
  s.outlier_mean = mine.mean;
  s.reference_outlier_mean = theirs.mean;
  s.min_outlier_percentile = mine.min_percentile;
  s.median_outlier_percentile = mine.median_percentile;
  s.reference_min_outlier_percentile = theirs.min_percentile;
  s.auc = anomstream::test::roc_auc(a, labels);
  s.reference_auc = anomstream::test::roc_auc(b, labels);
  s.max_inlier = mine.max_inlier;
  s.min_outlier = mine.min_outlier;
  s.outliers = static_cast<std::size_t>(std::count(labels.begin(), labels.end(), 1));
  char line[512];
  std::snprintf(line, sizeof line,
                "D=%zu rows=%zu: spearman %.4f (seed 42 vs seed 7 of ours: %.4f) | inlier mean %.4f (reference %.4f, %+.1f%%) | "
                "outlier mean %.4f (reference %.4f) | outlier percentile min %.3f median %.3f "
                "(reference min %.3f) | max inlier %.4f, min outlier %.4f | ROC-AUC %.5f "
                "(reference %.5f) | %zu outliers",
                golden.dimension, rows, s.spearman, s.self_spearman, s.inlier_mean, s.reference_inlier_mean,
                100.0 * (s.inlier_mean / s.reference_inlier_mean - 1.0), s.outlier_mean,
                s.reference_outlier_mean, s.min_outlier_percentile, s.median_outlier_percentile,
                s.reference_min_outlier_percentile, s.max_inlier, s.min_outlier, s.auc,
                s.reference_auc, s.outliers);
  MESSAGE(line);
  return s;
}

// The set has no manifest: its cases are the streams `stream_D<d>.csv`, each with its
// `reference_scores_D<d>.csv`.
std::vector<std::size_t> golden_dimensions(const std::filesystem::path& dir) {
  std::vector<std::size_t> dimensions;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("stream_D", 0) == 0 && entry.path().extension() == ".csv") {
      dimensions.push_back(std::stoul(name.substr(8)));
    }
  }
  std::sort(dimensions.begin(), dimensions.end());
  return dimensions;
}

void check_conformance(const std::filesystem::path& dir, std::size_t dimension) {
  const auto golden = anomstream::test::read_golden(dir, dimension);
  REQUIRE_MESSAGE(golden, "cannot read the D = " << dimension << " stream or its reference scores");
  const Summary s = run_reference_configuration(*golden);
  // Two forests that differ only in their seed agree on ranks only so far (forest
  // randomness: 0.91 at D = 4, 0.83 at D = 16 for 100 trees), and the reference is one
  // such forest. The target is a Spearman of 0.9 with the reference, or, where our own
  // two seeds agree less than that, our seed-to-seed agreement: no independent 100-tree
  // forest can exceed that ceiling (docs/conformance_rcf.md). 0.01 is the spread of the
  // seed-to-seed figure between seeds.
  const double target = std::min(0.9, s.self_spearman - 0.01);
  CHECK_MESSAGE(s.spearman >= target, "rank agreement with the reference below " << target);
  CHECK(std::abs(s.inlier_mean / s.reference_inlier_mean - 1.0) <= 0.2);
  // The reference ranks every outlier above every inlier (the lowest outlier sits at the
  // 99.9th percentile: 99 outliers among 99 000 points); ours must do the same.
  CHECK(s.min_outlier_percentile >= s.reference_min_outlier_percentile);
  CHECK(s.min_outlier > s.max_inlier);
  CHECK(s.auc >= 0.95);
}

}  // namespace

TEST_CASE("golden rcf: scores agree with the reference implementation on every golden stream") {
  const auto dir = anomstream::test::golden_set("rcf");
  if (!dir) return;
  const auto dimensions = golden_dimensions(*dir);
  REQUIRE_FALSE(dimensions.empty());
  for (const std::size_t dimension : dimensions) {
    CAPTURE(dimension);
    check_conformance(*dir, dimension);
  }
}

// How well can any forest agree with the reference's ranks? Our forest with 1000 trees is
// nearly free of forest randomness (two seeds agree at ~0.98): it approximates the
// expected score, and the reference's 100-tree scores must agree with that at >= 0.9 on
// both streams if the two implementations compute the same expected score. Slow (about
// four minutes, so not part of the suite): unit_forest -tc="*ceiling*" --no-skip -s.
TEST_CASE("rank agreement ceiling: 1000 trees against the reference" * doctest::skip()) {
  const auto dir = anomstream::test::golden_set("rcf");
  if (!dir) return;
  for (const std::size_t dimension : golden_dimensions(*dir)) {
    const auto golden = anomstream::test::read_golden(*dir, dimension);
    REQUIRE(golden);
    const std::size_t rows = std::min(ROWS, golden->rows());
    const auto a = run_stream(*golden, rows, 42, 1000);
    const auto b = run_stream(*golden, rows, 7, 1000);
    const std::vector<double> ta(a.begin() + FIRST_COMPARED, a.end());
    const std::vector<double> tb(b.begin() + FIRST_COMPARED, b.end());
    const std::vector<double> ref(golden->reference_scores.begin() + FIRST_COMPARED,
                                  golden->reference_scores.begin() + static_cast<long>(rows));
    char line[256];
    std::snprintf(line, sizeof line,
                  "D=%zu, 1000 trees: seed 42 vs seed 7 %.4f | vs reference %.4f and %.4f",
                  dimension, anomstream::test::spearman(ta, tb), anomstream::test::spearman(ta, ref),
                  anomstream::test::spearman(tb, ref));
    MESSAGE(line);
    CHECK(anomstream::test::spearman(ta, tb) >= 0.97);
    CHECK(anomstream::test::spearman(ta, ref) >= 0.9);
    CHECK(anomstream::test::spearman(tb, ref) >= 0.9);
  }
}
