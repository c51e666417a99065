// Conformance of MatrixProfile with stumpy's `stump(T, m)` on the shared reference cases
// (../shared/golden/mp, see its README): every profile value, left and right profile,
// index, the top discord and the top motif.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "anomstream/timeseries/matrix_profile.hpp"
#include "matrix_profile_reference.hpp"
#include "golden.hpp"

using anomstream::timeseries::MatrixProfile;
using anomstream::timeseries::MatrixProfileConfig;
using mp_test::DenseProfile;

namespace {

// Golden tolerance rule from the reference's expected.csv: relative where P > 1e-3,
// absolute below (stumpy's own near-zero distances carry ~1e-5 of rounding).
bool close(double got, double want, double tol_rel, double tol_abs) {
  if (std::isinf(want) || std::isinf(got)) {
    return got == want;
  }
  if (want > 1e-3) {
    return std::abs(got - want) <= tol_rel * want;
  }
  return std::abs(got - want) <= tol_abs;
}

}  // namespace

TEST_CASE("golden mp: the matrix profile matches stumpy's stump on every case") {
  const auto root = anomstream::test::golden_set("mp");
  if (!root) return;
  const mp_test::Csv cases = mp_test::read_csv(*root / "expected.csv");
  REQUIRE(cases.rows.size() >= 16);
  for (const auto& row : cases.rows) {
    const std::string name = cases.get(row, "case");
    CAPTURE(name);
    const auto n = static_cast<std::size_t>(mp_test::to_int(cases.get(row, "n")));
    const auto m = static_cast<std::size_t>(mp_test::to_int(cases.get(row, "m")));
    const double tol_rel = mp_test::to_double(cases.get(row, "tol_rel_P_gt_1e-3"));
    const double tol_abs = mp_test::to_double(cases.get(row, "tol_abs_P_le_1e-3"));

    const mp_test::Csv input = mp_test::read_csv(*root / "inputs" / (name + ".csv"));
    std::vector<double> x;
    for (const auto& r : input.rows) {
      x.push_back(mp_test::to_double(r.at(0)));
    }
    REQUIRE(x.size() == n);
    auto computed = MatrixProfile::compute(x, MatrixProfileConfig{m});
    REQUIRE(computed.has_value());
    const MatrixProfile& mp = *computed;
    const DenseProfile dense(x, m);
    CHECK(mp.size() == static_cast<std::size_t>(mp_test::to_int(cases.get(row, "n_subseq"))));
    CHECK(mp.exclusion_zone() ==
          static_cast<std::size_t>(mp_test::to_int(cases.get(row, "excl_zone"))));
    const auto n_inf = std::count_if(mp.profile().begin(), mp.profile().end(),
                                     [](double p) { return std::isinf(p); });
    CHECK(n_inf == mp_test::to_int(cases.get(row, "n_inf")));

    const mp_test::Csv expected = mp_test::read_csv(*root / "expected" / (name + ".csv"));
    REQUIRE(expected.rows.size() == mp.size());
    const std::size_t cP = expected.column("P");
    const std::size_t cI = expected.column("I");
    const std::size_t cIL = expected.column("IL");
    const std::size_t cIR = expected.column("IR");
    const std::size_t cT = expected.column("nn_ties");
    const std::size_t cLT = expected.column("left_ties");
    const std::size_t cRT = expected.column("right_ties");
    const std::size_t cPL = expected.column("PL_dense");
    const std::size_t cPR = expected.column("PR_dense");
    std::size_t bad_values = 0;
    std::size_t bad_indices = 0;
    std::size_t tied_indices = 0;
    // An index other than stumpy's is right only when stumpy saw a tie there and the
    // reported neighbour is at the tied distance.
    auto check_index = [&](std::size_t i, std::int64_t got, std::int64_t want, std::int64_t ties,
                           double distance) {
      if (got == want) {
        return true;
      }
      ++tied_indices;
      return ties > 1 && got >= 0 &&
             close(dense.distance(i, static_cast<std::size_t>(got)), distance, 1e-6, tol_abs);
    };
    for (std::size_t i = 0; i < mp.size(); ++i) {
      const auto& e = expected.rows[i];
      const double P = mp_test::to_double(e.at(cP));
      const double PL = mp_test::to_double(e.at(cPL));
      const double PR = mp_test::to_double(e.at(cPR));
      const bool values_ok = close(mp.profile()[i], P, tol_rel, tol_abs) &&
                             close(mp.left_profile()[i], PL, tol_rel, tol_abs) &&
                             close(mp.right_profile()[i], PR, tol_rel, tol_abs);
      const bool index_ok =
          check_index(i, mp.index()[i], mp_test::to_int(e.at(cI)), mp_test::to_int(e.at(cT)), P) &&
          check_index(i, mp.left_index()[i], mp_test::to_int(e.at(cIL)), mp_test::to_int(e.at(cLT)),
                      PL) &&
          check_index(i, mp.right_index()[i], mp_test::to_int(e.at(cIR)),
                      mp_test::to_int(e.at(cRT)), PR);
      if (!values_ok && bad_values++ < 3) {
        MESSAGE("window " << i << ": P " << mp.profile()[i] << " vs " << P << ", left "
                          << mp.left_profile()[i] << " vs " << PL << ", right "
                          << mp.right_profile()[i] << " vs " << PR);
      }
      if (!index_ok && bad_indices++ < 3) {
        MESSAGE("window " << i << ": I " << mp.index()[i] << " vs " << e.at(cI) << " (ties "
                          << e.at(cT) << "), IL " << mp.left_index()[i] << " vs " << e.at(cIL)
                          << ", IR " << mp.right_index()[i] << " vs " << e.at(cIR));
      }
    }
    CHECK(bad_values == 0);
    CHECK(bad_indices == 0);
    if (tied_indices > 0) {
      MESSAGE(name << ": " << tied_indices << " indices differ from stumpy's, all at ties");
    }

    auto discords = mp.top_discords(1);
    REQUIRE(discords.has_value());
    REQUIRE(discords->size() == 1);
    const double discord_P = mp_test::to_double(cases.get(row, "discord_P"));
    CHECK(close(discords->front().distance, discord_P, tol_rel, tol_abs));
    if (mp_test::to_int(cases.get(row, "discord_ties")) == 1) {
      CHECK(static_cast<std::int64_t>(discords->front().index) ==
            mp_test::to_int(cases.get(row, "discord_idx")));
    }
    auto motifs = mp.top_motifs(1);
    REQUIRE(motifs.has_value());
    REQUIRE(motifs->size() == 1);
    const double motif_P = mp_test::to_double(cases.get(row, "motif_P"));
    CHECK(close(motifs->front().distance, motif_P, tol_rel, tol_abs));
    CHECK(close(mp.profile()[motifs->front().index], motif_P, tol_rel, tol_abs));
  }
}
