#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include "anomstream/eval/find_length_rank.hpp"
#include "anomstream/eval/tsb_ad_row_reader.hpp"
#include "test_paths.hpp"

using anomstream::ErrorCode;
using anomstream::eval::find_length_rank;

namespace {

std::vector<double> sine(std::size_t length, double period) {
  std::vector<double> x(length);
  for (std::size_t t = 0; t < length; ++t) {
    x[t] = std::sin(2.0 * std::numbers::pi * static_cast<double>(t) / period);
  }
  return x;
}

struct Expected {
  const char* folder;
  const char* file;
  std::size_t rank1, rank2, rank3;
};

// TSB-AD's find_length_rank(data[:, 0].reshape(-1, 1), rank) on the first channel of
// each development file, evaluated with statsmodels 0.13.5 (FFT acf), scipy 1.10.1 and
// numpy 1.24.2.
constexpr Expected DEVELOPMENT_FILES[] = {
    {"tsb-ad-m", "001_Genesis_id_1_Sensor_tr_4055_1st_15538.csv", 125, 125, 125},
    {"tsb-ad-m", "002_MSL_id_1_Sensor_tr_500_1st_900.csv", 125, 125, 125},
    {"tsb-ad-m", "003_MSL_id_2_Sensor_tr_883_1st_1238.csv", 40, 42, 290},
    {"tsb-ad-m", "005_MSL_id_4_Sensor_tr_855_1st_2700.csv", 228, 228, 125},
    {"tsb-ad-m", "006_MSL_id_5_Sensor_tr_1150_1st_1250.csv", 9, 22, 31},
    {"tsb-ad-m", "007_MSL_id_6_Sensor_tr_980_1st_3550.csv", 260, 260, 125},
    {"tsb-ad-m", "018_Daphnet_id_1_HumanActivity_tr_9693_1st_20732.csv", 58, 68, 74},
    {"tsb-ad-m", "057_SMD_id_1_Facility_tr_4529_1st_4629.csv", 30, 60, 120},
    {"tsb-ad-m", "059_SMD_id_3_Facility_tr_757_1st_857.csv", 19, 27, 39},
    {"tsb-ad-m", "063_SMD_id_7_Facility_tr_5923_1st_6506.csv", 125, 10, 30},
    {"tsb-ad-m", "065_SMD_id_9_Facility_tr_737_1st_837.csv", 64, 220, 228},
    {"tsb-ad-m", "144_SMAP_id_1_Sensor_tr_2052_1st_5300.csv", 37, 53, 89},
    {"tsb-ad-m", "145_SMAP_id_2_Sensor_tr_2133_1st_5400.csv", 98, 146, 197},
    {"tsb-ad-m", "146_SMAP_id_3_Sensor_tr_2128_1st_5000.csv", 98, 196, 302},
    {"tsb-ad-m", "148_SMAP_id_5_Sensor_tr_2011_1st_5060.csv", 125, 125, 125},
    {"tsb-ad-m", "150_SMAP_id_7_Sensor_tr_2077_1st_5394.csv", 102, 153, 102},
    {"tsb-ad-m", "151_SMAP_id_8_Sensor_tr_1971_1st_4870.csv", 125, 37, 44},
    {"tsb-ad-m", "152_SMAP_id_9_Sensor_tr_2073_1st_5600.csv", 98, 196, 302},
    {"tsb-ad-u", "001_NAB_id_1_Facility_tr_1007_1st_2014.csv", 6, 12, 18},
    {"tsb-ad-u", "005_NAB_id_5_Traffic_tr_594_1st_1645.csv", 22, 247, 211},
    {"tsb-ad-u", "006_NAB_id_6_Traffic_tr_2579_1st_5839.csv", 125, 125, 125},
    {"tsb-ad-u", "008_NAB_id_8_Synthetic_tr_1007_1st_2734.csv", 71, 95, 165},
    {"tsb-ad-u", "009_NAB_id_9_Traffic_tr_500_1st_438.csv", 128, 133, 125},
    {"tsb-ad-u", "013_NAB_id_13_Traffic_tr_623_1st_2084.csv", 247, 299, 125},
    {"tsb-ad-u", "014_NAB_id_14_WebService_tr_500_1st_1045.csv", 23, 47, 91},
    {"tsb-ad-u", "016_NAB_id_16_Environment_tr_1816_1st_3540.csv", 23, 167, 120},
    {"tsb-ad-u", "017_NAB_id_17_Synthetic_tr_1007_1st_1805.csv", 100, 200, 125},
    {"tsb-ad-u", "018_NAB_id_18_Facility_tr_500_1st_669.csv", 125, 10, 15},
    {"tsb-ad-u", "019_NAB_id_19_Facility_tr_1007_1st_1171.csv", 8, 32, 64},
    {"tsb-ad-u", "023_NAB_id_23_Facility_tr_4512_1st_16551.csv", 12, 24, 84},
    {"tsb-ad-u", "025_NAB_id_25_WebService_tr_3958_1st_4614.csv", 16, 24, 27},
    {"tsb-ad-u", "026_NAB_id_26_Traffic_tr_624_1st_2261.csv", 8, 17, 30},
    {"tsb-ad-u", "225_MGAB_id_1_Synthetic_tr_25000_1st_38478.csv", 49, 101, 125},
    {"tsb-ad-u", "226_MGAB_id_2_Synthetic_tr_20000_1st_45134.csv", 49, 102, 125},
};

// The first channel's first 20 000 points, streamed (all the estimate reads).
anomstream::Result<std::vector<double>> first_channel_head(const std::filesystem::path& path) {
  auto reader = anomstream::eval::TsbAdRowReader::open(path);
  if (!reader) {
    return std::unexpected(reader.error());
  }
  std::vector<double> head;
  while (head.size() < anomstream::eval::FIND_LENGTH_MAX_POINTS) {
    auto row = reader->next();
    if (!row) {
      return std::unexpected(row.error());
    }
    if (!*row) {
      break;
    }
    head.push_back((*row)->features[0]);
  }
  return head;
}

}  // namespace

TEST_CASE("find_length_rank returns the period of a sinusoid in the accepted range") {
  // Peaks of a sinusoid's autocorrelation sit at multiples of its period, each a little
  // lower than the last (the biased estimator's (n - k) / n), so rank 1 is the period,
  // rank 2 its double and rank 3, by the reference's index mix-up, its triple.
  for (std::size_t period : {6U, 10U, 24U, 50U, 100U}) {
    CAPTURE(period);
    const auto x = sine(20'000, static_cast<double>(period));
    CHECK(*find_length_rank(x, 1) == period);
    CHECK(*find_length_rank(x, 2) == 2 * period);
    CHECK(*find_length_rank(x, 3) == 3 * period);
  }
}

TEST_CASE("find_length_rank falls back to 125 outside lags 6..303") {
  CHECK(*find_length_rank(sine(20'000, 303.0)) == 303);
  CHECK(*find_length_rank(sine(20'000, 304.0)) == 125);
  CHECK(*find_length_rank(sine(20'000, 320.0)) == 125);
  // Period 5: the top peak is lag 5 (index 2 < 3), so rank 1 falls back, while rank 2
  // and 3 move on to lags 10 and 15.
  const auto fast = sine(20'000, 5.0);
  CHECK(*find_length_rank(fast, 1) == 125);
  CHECK(*find_length_rank(fast, 2) == 10);
  CHECK(*find_length_rank(fast, 3) == 15);
  // Period 250: one peak within 400 lags; rank 2 keeps it, rank 3 finds no candidate.
  const auto slow = sine(20'000, 250.0);
  CHECK(*find_length_rank(slow, 2) == 250);
  CHECK(*find_length_rank(slow, 3) == 125);
}

TEST_CASE("find_length_rank looks at the first 20 000 points only") {
  auto x = sine(20'000, 40.0);
  const auto tail = sine(30'000, 90.0);
  x.insert(x.end(), tail.begin(), tail.end());
  CHECK(*find_length_rank(x) == 40);
  CHECK(*find_length_rank(std::span<const double>(x).subspan(20'000)) == 90);
  // A non-finite value past the first 20 000 points is never read.
  x.back() = std::nan("");
  CHECK(find_length_rank(x).has_value());
}

TEST_CASE("find_length_rank returns 125 without peaks and 1 for rank 0") {
  CHECK(*find_length_rank(std::vector<double>(5'000, 3.7)) == 125);
  for (std::size_t n = 2; n <= 6; ++n) {
    std::vector<double> x(n);
    for (std::size_t t = 0; t < n; ++t) x[t] = std::sin(static_cast<double>(t));
    CHECK(*find_length_rank(x) == 125);
  }
  CHECK(*find_length_rank(std::vector<double>{}, 0) == 1);
  CHECK(*find_length_rank(sine(1'000, 24.0), 0) == 1);
}

TEST_CASE("find_length_rank rejects what the reference cannot handle") {
  auto one = find_length_rank(std::vector<double>{1.0});
  REQUIRE_FALSE(one);
  CHECK(one.error().code == ErrorCode::invalid_input);
  auto rank = find_length_rank(sine(100, 10.0), 4);
  REQUIRE_FALSE(rank);
  CHECK(rank.error().code == ErrorCode::invalid_config);
  CHECK(rank.error().field == "rank");
  auto nan = find_length_rank(std::vector<double>{1.0, std::nan(""), 2.0});
  REQUIRE_FALSE(nan);
  CHECK(nan.error().code == ErrorCode::non_finite);
  CHECK(nan.error().field == "series[1]");
}

TEST_CASE("find_length_rank gives TSB-AD's sliding windows for the development files") {
  const auto data = anomstream::test::shared_path("data");
  if (!data) {
    MESSAGE("../shared/data is absent: skipping the sliding-window check on TSB-AD files");
    return;
  }
  for (const auto& expected : DEVELOPMENT_FILES) {
    const auto path = *data / expected.folder / expected.file;
    CAPTURE(path.string());
    if (!std::filesystem::exists(path)) {
      MESSAGE("missing " << path.string());
      continue;
    }
    const auto first_channel = first_channel_head(path);
    REQUIRE(first_channel);
    CHECK(*find_length_rank(*first_channel, 1) == expected.rank1);
    CHECK(*find_length_rank(*first_channel, 2) == expected.rank2);
    CHECK(*find_length_rank(*first_channel, 3) == expected.rank3);
  }
}
