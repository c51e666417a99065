// Conformance of AdwinDetector with river's Cython ADWIN on the shared reference cases
// (../shared/golden/adwin, see its README): with river's conventions, drift flags and
// widths exactly and the running total and variance to 1e-12 relative (the README's
// tolerance for the same update order), for river's detector (a fresh window after
// each change) and for its AdaptiveWindowing helper (never reset). Cases and
// parameters come from the set's expected.csv.

#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "anomstream/drift/adwin_detector.hpp"
#include "golden.hpp"

using anomstream::drift::AdwinConfig;
using anomstream::drift::AdwinConventions;
using anomstream::drift::AdwinDetector;
using anomstream::drift::AdwinVerdict;
using anomstream::test::agrees;
using anomstream::test::CsvTable;
using anomstream::test::FirstDifference;

namespace {

// Sums are updated in river's order: equal bit for bit.
constexpr double SUM_TOLERANCE = 0.0;

AdwinDetector fresh(const AdwinConfig& config) {
  auto d = AdwinDetector::create(config);
  REQUIRE(d.has_value());
  return std::move(*d);
}

AdwinConfig case_config(const CsvTable& manifest, std::size_t row, AdwinConventions conventions) {
  AdwinConfig c;
  c.delta = manifest.number(row, "delta");
  c.clock = static_cast<std::uint32_t>(manifest.integer(row, "clock"));
  c.max_buckets = static_cast<std::uint32_t>(manifest.integer(row, "max_buckets"));
  c.min_window_length = static_cast<std::uint32_t>(manifest.integer(row, "min_window_length"));
  c.grace_period = static_cast<std::uint32_t>(manifest.integer(row, "grace_period"));
  c.conventions = conventions;
  return c;
}

// Runs the stream, restarting the window after each change when `restart` (river's
// ADWIN) or never (its helper), and hands each step's verdict and detector to `step`.
template <class Step>
void run(const std::vector<double>& x, const AdwinConfig& config, bool restart, Step step) {
  auto d = fresh(config);
  bool drifted = false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (restart && drifted) d = fresh(config);
    const auto v = d.update(x[i]);
    REQUIRE(v.has_value());
    drifted = v->change;
    step(i, *v, d);
  }
}

// Detection indices as the manifest writes them: space-separated, "-" for none.
std::string detections(const std::vector<double>& x, const AdwinConfig& config, bool restart) {
  std::ostringstream out;
  run(x, config, restart, [&out](std::size_t i, const AdwinVerdict& v, const AdwinDetector&) {
    if (v.change) out << (out.tellp() > 0 ? " " : "") << i;
  });
  return out.tellp() > 0 ? out.str() : "-";
}

// Replays one expected file: river's ADWIN when `restart`, otherwise its helper.
void replay(const std::string& name, const std::vector<double>& x, const CsvTable& expected,
            const AdwinConfig& config, bool restart, FirstDifference& diff) {
  REQUIRE(expected.rows() == x.size());
  const bool has_estimation = expected.has_column("estimation");
  run(x, config, restart, [&](std::size_t i, const AdwinVerdict& v, const AdwinDetector& d) {
    const auto s = d.snapshot();
    if (v.change != (expected.integer(i, "drift") == 1)) {
      diff.note(name, i, "drift", v.change ? "1" : "0", expected.cell(i, "drift"));
    }
    if (static_cast<std::int64_t>(v.width) != expected.integer(i, "width")) {
      diff.note(name, i, "width", std::to_string(v.width), expected.cell(i, "width"));
    }
    if (static_cast<std::int64_t>(d.detections()) != expected.integer(i, "n_detections")) {
      diff.note(name, i, "n_detections", std::to_string(d.detections()),
                expected.cell(i, "n_detections"));
    }
    if (!agrees(s.total, expected.number(i, "total"), SUM_TOLERANCE)) {
      diff.note(name, i, "total", s.total, expected.number(i, "total"));
    }
    if (!agrees(s.variance, expected.number(i, "variance"), SUM_TOLERANCE)) {
      diff.note(name, i, "variance", s.variance, expected.number(i, "variance"));
    }
    if (has_estimation && !agrees(d.mean(), expected.number(i, "estimation"), SUM_TOLERANCE)) {
      diff.note(name, i, "estimation", d.mean(), expected.number(i, "estimation"));
    }
  });
}

}  // namespace

TEST_CASE("golden adwin: river's conventions reproduce river's ADWIN and its helper bit for bit") {
  const auto dir = anomstream::test::golden_set("adwin");
  if (!dir) return;
  const CsvTable manifest = CsvTable::read(*dir / "expected.csv");
  const auto cases = anomstream::test::golden_cases(*dir);
  REQUIRE(cases.size() == manifest.rows());
  FirstDifference river_adwin;
  FirstDifference helper;
  FirstDifference listed;
  for (std::size_t r = 0; r < manifest.rows(); ++r) {
    const std::string& name = cases[r];
    const std::vector<double> x = CsvTable::read(*dir / "inputs" / (name + ".csv")).numbers("x");
    REQUIRE(static_cast<std::int64_t>(x.size()) == manifest.integer(r, "n"));
    const AdwinConfig river = case_config(manifest, r, AdwinConventions::river);
    replay(name, x, CsvTable::read(*dir / "expected" / (name + "__river_adwin.csv")), river, true,
           river_adwin);
    replay(name, x, CsvTable::read(*dir / "expected" / (name + "__helper.csv")), river, false,
           helper);
    for (const auto& [column, restart] : {std::pair{"detections_river_adwin", true},
                                          std::pair{"detections_helper", false}}) {
      const std::string got = detections(x, river, restart);
      if (got != manifest.cell(r, column)) listed.note(name, r, column, got, manifest.cell(r, column));
    }
    // Where MOA's conventions part from river's on the same stream (docs/features.md).
    const AdwinConfig moa = case_config(manifest, r, AdwinConventions::moa);
    MESSAGE(name << ": river " << manifest.cell(r, "detections_river_adwin") << " | moa, restarted "
                 << detections(x, moa, true) << " | moa helper " << detections(x, moa, false));
  }
  CHECK_MESSAGE(river_adwin.count() == 0, "river ADWIN: " << river_adwin.describe());
  CHECK_MESSAGE(helper.count() == 0, "river helper: " << helper.describe());
  CHECK_MESSAGE(listed.count() == 0, "manifest detections: " << listed.describe());
}
