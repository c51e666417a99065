#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "anomstream/eval/anomaly_ranges.hpp"
#include "anomstream/eval/tsb_ad_m_dataset.hpp"
#include "anomstream/eval/tsb_ad_row_reader.hpp"
#include "temp_csv.hpp"
#include "test_paths.hpp"

using anomstream::ErrorCode;
using anomstream::eval::TsbAdMDataset;
using anomstream::eval::test::TempDir;

namespace {

struct Published {
  const char* folder;
  const char* file;
  std::size_t rows, features, anomaly_points, anomaly_ranges;
};

// Shapes and label statistics TSB-AD publishes for the development files (the tables of
// ../shared/data/README.md).
constexpr Published DEVELOPMENT_FILES[] = {
    {"tsb-ad-m", "001_Genesis_id_1_Sensor_tr_4055_1st_15538.csv", 16220, 18, 50, 3},
    {"tsb-ad-m", "002_MSL_id_1_Sensor_tr_500_1st_900.csv", 1827, 55, 11, 1},
    {"tsb-ad-m", "003_MSL_id_2_Sensor_tr_883_1st_1238.csv", 3535, 55, 228, 2},
    {"tsb-ad-m", "005_MSL_id_4_Sensor_tr_855_1st_2700.csv", 3422, 55, 71, 1},
    {"tsb-ad-m", "006_MSL_id_5_Sensor_tr_1150_1st_1250.csv", 5054, 55, 423, 3},
    {"tsb-ad-m", "007_MSL_id_6_Sensor_tr_980_1st_3550.csv", 3922, 55, 151, 1},
    {"tsb-ad-m", "018_Daphnet_id_1_HumanActivity_tr_9693_1st_20732.csv", 38774, 9, 2306, 6},
    {"tsb-ad-m", "057_SMD_id_1_Facility_tr_4529_1st_4629.csv", 23694, 38, 542, 10},
    {"tsb-ad-m", "059_SMD_id_3_Facility_tr_757_1st_857.csv", 23689, 38, 269, 10},
    {"tsb-ad-m", "063_SMD_id_7_Facility_tr_5923_1st_6506.csv", 23694, 38, 1170, 13},
    {"tsb-ad-m", "065_SMD_id_9_Facility_tr_737_1st_837.csv", 23697, 38, 2398, 13},
    {"tsb-ad-m", "144_SMAP_id_1_Sensor_tr_2052_1st_5300.csv", 8209, 25, 1121, 1},
    {"tsb-ad-m", "145_SMAP_id_2_Sensor_tr_2133_1st_5400.csv", 8532, 25, 623, 1},
    {"tsb-ad-m", "146_SMAP_id_3_Sensor_tr_2128_1st_5000.csv", 8514, 25, 295, 2},
    {"tsb-ad-m", "148_SMAP_id_5_Sensor_tr_2011_1st_5060.csv", 8044, 25, 71, 1},
    {"tsb-ad-m", "150_SMAP_id_7_Sensor_tr_2077_1st_5394.csv", 8310, 25, 281, 1},
    {"tsb-ad-m", "151_SMAP_id_8_Sensor_tr_1971_1st_4870.csv", 7884, 25, 81, 1},
    {"tsb-ad-m", "152_SMAP_id_9_Sensor_tr_2073_1st_5600.csv", 8294, 25, 321, 1},
    {"tsb-ad-u", "001_NAB_id_1_Facility_tr_1007_1st_2014.csv", 4031, 1, 343, 3},
    {"tsb-ad-u", "005_NAB_id_5_Traffic_tr_594_1st_1645.csv", 2379, 1, 238, 1},
    {"tsb-ad-u", "006_NAB_id_6_Traffic_tr_2579_1st_5839.csv", 10319, 1, 1030, 5},
    {"tsb-ad-u", "008_NAB_id_8_Synthetic_tr_1007_1st_2734.csv", 4031, 1, 402, 1},
    {"tsb-ad-u", "009_NAB_id_9_Traffic_tr_500_1st_438.csv", 2161, 1, 216, 1},
    {"tsb-ad-u", "013_NAB_id_13_Traffic_tr_623_1st_2084.csv", 2494, 1, 248, 2},
    {"tsb-ad-u", "014_NAB_id_14_WebService_tr_500_1st_1045.csv", 1537, 1, 152, 1},
    {"tsb-ad-u", "016_NAB_id_16_Environment_tr_1816_1st_3540.csv", 7266, 1, 724, 2},
    {"tsb-ad-u", "017_NAB_id_17_Synthetic_tr_1007_1st_1805.csv", 4031, 1, 402, 1},
    {"tsb-ad-u", "018_NAB_id_18_Facility_tr_500_1st_669.csv", 1881, 1, 188, 2},
    {"tsb-ad-u", "019_NAB_id_19_Facility_tr_1007_1st_1171.csv", 4031, 1, 400, 2},
    {"tsb-ad-u", "023_NAB_id_23_Facility_tr_4512_1st_16551.csv", 18049, 1, 1498, 1},
    {"tsb-ad-u", "025_NAB_id_25_WebService_tr_3958_1st_4614.csv", 15832, 1, 1580, 2},
    {"tsb-ad-u", "026_NAB_id_26_Traffic_tr_624_1st_2261.csv", 2499, 1, 238, 1},
    {"tsb-ad-u", "225_MGAB_id_1_Synthetic_tr_25000_1st_38478.csv", 100000, 1, 200, 10},
    {"tsb-ad-u", "226_MGAB_id_2_Synthetic_tr_20000_1st_45134.csv", 80000, 1, 140, 7},
};

}  // namespace

TEST_CASE("load gives a row-major matrix, labels and the file-name fields") {
  TempDir dir;
  const auto path = dir.write("010_Z_id_2_W_tr_500_1st_1.csv",
                              "f0,f1,f2,Label\n1,2,3,0\n4,5,6,1\n7,8,9,1\n");
  const auto dataset = TsbAdMDataset::load(path);
  REQUIRE(dataset);
  CHECK(dataset->rows() == 3);
  CHECK(dataset->features() == 3);
  CHECK(dataset->feature_names() == std::vector<std::string>{"f0", "f1", "f2"});
  CHECK(std::vector<double>(dataset->values().begin(), dataset->values().end()) ==
        std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(std::vector<double>(dataset->row(1).begin(), dataset->row(1).end()) ==
        std::vector<double>{4, 5, 6});
  CHECK(dataset->column(2) == std::vector<double>{3, 6, 9});
  CHECK(std::vector<int>(dataset->labels().begin(), dataset->labels().end()) ==
        std::vector<int>{0, 1, 1});
  CHECK(dataset->anomalies() == 2);
  CHECK(dataset->train_end() == 500);
  CHECK(dataset->first_anomaly() == 1);
}

TEST_CASE("load fails on a header-only file and passes reader errors through") {
  TempDir dir;
  auto header_only = TsbAdMDataset::load(dir.write("h.csv", "a,Label\n"));
  REQUIRE_FALSE(header_only);
  CHECK(header_only.error().message() ==
        "parse_error: h.csv: must hold at least one data row after the header");
  auto ragged = TsbAdMDataset::load(dir.write("r.csv", "a,b,Label\n1,2,0\n3,1\n"));
  REQUIRE_FALSE(ragged);
  CHECK(ragged.error().field == "r.csv line 3");
  auto empty = TsbAdMDataset::load(dir.write("e.csv", ""));
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == ErrorCode::parse_error);
}

TEST_CASE("the development files load with TSB-AD's published shapes and label statistics") {
  const auto data = anomstream::test::shared_path("data");
  if (!data) {
    MESSAGE("../shared/data is absent: skipping the TSB-AD file check");
    return;
  }
  for (const auto& published : DEVELOPMENT_FILES) {
    const auto path = *data / published.folder / published.file;
    CAPTURE(path.string());
    if (!std::filesystem::exists(path)) {
      MESSAGE("missing " << path.string());
      continue;
    }
    const auto dataset = TsbAdMDataset::load(path);
    REQUIRE(dataset);
    CHECK(dataset->rows() == published.rows);
    CHECK(dataset->features() == published.features);
    CHECK(dataset->values().size() == published.rows * published.features);
    CHECK(dataset->anomalies() == published.anomaly_points);
    const auto ranges = anomstream::eval::anomaly_ranges(dataset->labels());
    REQUIRE(ranges);
    CHECK(ranges->size() == published.anomaly_ranges);
    // `1st` is the first anomalous row; `tr` follows the rule the data README states.
    REQUIRE(dataset->first_anomaly().has_value());
    REQUIRE(dataset->train_end().has_value());
    CHECK(*dataset->first_anomaly() == ranges->front().first);
    const auto first = static_cast<long long>(*dataset->first_anomaly());
    const auto quarter = static_cast<long long>(dataset->rows() / 4);
    CHECK(static_cast<long long>(*dataset->train_end()) ==
          std::clamp(std::min(first - 100, quarter), 500LL, 50'000LL));
  }
}

TEST_CASE("streaming a development file row by row gives the loaded matrix") {
  const auto data = anomstream::test::shared_path("data/tsb-ad-m/002_MSL_id_1_Sensor_tr_500_1st_900.csv");
  if (!data) {
    MESSAGE("002_MSL is absent: skipping the streaming comparison");
    return;
  }
  const auto dataset = TsbAdMDataset::load(*data);
  auto reader = anomstream::eval::TsbAdRowReader::open(*data);
  REQUIRE(dataset);
  REQUIRE(reader);
  std::size_t r = 0;
  bool same = true;
  while (true) {
    auto row = reader->next();
    REQUIRE(row);
    if (!*row) break;
    const auto loaded = dataset->row(r);
    same = same && std::equal(loaded.begin(), loaded.end(), (*row)->features.begin(),
                              (*row)->features.end()) &&
           (*row)->label == dataset->labels()[r];
    ++r;
  }
  CHECK(same);
  CHECK(r == dataset->rows());
}
