#include <doctest/doctest.h>

#include "anomstream/eval/tsb_ad_file_name.hpp"

using anomstream::eval::parse_tsb_ad_file_name;
using anomstream::eval::TsbAdFileName;

TEST_CASE("tr and 1st are read from TSB-AD file names and paths") {
  const auto m = parse_tsb_ad_file_name("002_MSL_id_1_Sensor_tr_500_1st_900.csv");
  CHECK(m.train_end == 500);
  CHECK(m.first_anomaly == 900);
  const auto u = parse_tsb_ad_file_name(
      "/data/tsb-ad-u/225_MGAB_id_1_Synthetic_tr_25000_1st_38478.csv");
  CHECK(u.train_end == 25000);
  CHECK(u.first_anomaly == 38478);
  // TSB-AD splits at the first '.', so a dotted extension chain changes nothing.
  CHECK(parse_tsb_ad_file_name("009_NAB_id_9_Traffic_tr_500_1st_438.csv.gz").first_anomaly == 438);
}

TEST_CASE("names without the fields, or with malformed ones, leave them empty") {
  CHECK(parse_tsb_ad_file_name("scores.csv") == TsbAdFileName{});
  CHECK(parse_tsb_ad_file_name("") == TsbAdFileName{});
  const auto partial = parse_tsb_ad_file_name("x_tr_12a_1st_7.csv");
  CHECK_FALSE(partial.train_end.has_value());
  CHECK(partial.first_anomaly == 7);
  CHECK_FALSE(parse_tsb_ad_file_name("x_tr_.csv").train_end.has_value());
  CHECK_FALSE(parse_tsb_ad_file_name("x_1st_-3.csv").first_anomaly.has_value());
  // A directory named like a TSB-AD file does not leak into the file's fields.
  CHECK(parse_tsb_ad_file_name("run_tr_5_1st_9/plain.csv") == TsbAdFileName{});
}
