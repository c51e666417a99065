#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "anomstream/triage/alert_record.hpp"
#include "test_paths.hpp"

using anomstream::ErrorCode;
using anomstream::stats::Severity;
using anomstream::triage::AlertContext;
using anomstream::triage::AlertRecord;
using anomstream::triage::AttributionDirection;

namespace {

AlertContext sample() {
  return {.alert_id = "t0/host-1/17",
          .tenant = "t0",
          .stream = "host-1",
          .timestamp_ns = 1700000812000000000,
          .received_ns = 1700000812000001000,
          .emitted_ns = 1700000812000002000,
          .score = 3.41,
          .probability = 0.875,
          .severity = Severity::high,
          .attribution = {{3, 0.71, AttributionDirection::high}, {7, 0.18, AttributionDirection::low}},
          .cluster_id = 42,
          .model_version = "forest-v3"};
}

const std::string SAMPLE_JSON =
    R"({"schema_version":1,"alert_id":"t0/host-1/17","tenant":"t0","stream":"host-1",)"
    R"("timestamp_ns":1700000812000000000,"received_ns":1700000812000001000,)"
    R"("emitted_ns":1700000812000002000,"score":3.41,"probability":0.875,"severity":"high",)"
    R"("cluster_id":42,"model_version":"forest-v3","attribution":[{"index":3,"share":0.71,)"
    R"("direction":"high"},{"index":7,"share":0.18,"direction":"low"}]})";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

anomstream::Error parse_error(const std::string& text) {
  auto record = AlertRecord::from_json(text);
  REQUIRE_FALSE(record);
  return record.error();
}

// Just enough JSON to read the schema file: objects keep their keys in a map, the rest
// of a value is skipped.
struct JsonNode {
  std::map<std::string, JsonNode> members;
};

class SchemaScanner {
 public:
  explicit SchemaScanner(std::string text) : text_(std::move(text)) {}
  JsonNode value() {
    space();
    JsonNode node;
    if (text_[pos_] == '{') {
      ++pos_;
      for (space(); text_[pos_] != '}'; space()) {
        if (text_[pos_] == ',') ++pos_, space();
        std::string key = string();
        space();
        REQUIRE(text_[pos_] == ':');
        ++pos_;
        node.members[key] = value();
      }
      ++pos_;
    } else if (text_[pos_] == '[') {
      ++pos_;
      for (space(); text_[pos_] != ']'; space()) {
        if (text_[pos_] == ',') ++pos_;
        value();
      }
      ++pos_;
    } else if (text_[pos_] == '"') {
      string();
    } else {
      while (pos_ < text_.size() && std::string_view(",}] \n").find(text_[pos_]) == std::string_view::npos) ++pos_;
    }
    return node;
  }

 private:
  void space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  std::string string() {
    REQUIRE(text_[pos_] == '"');
    const auto end = text_.find('"', pos_ + 1);  // the schema has no escaped quotes
    std::string s = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }
  std::string text_;
  std::size_t pos_ = 0;
};

// The keys of the JSON objects in `text` in order of appearance, at the given depth
// (1: the record, 2: inside an attribution entry), reading keys as the strings followed
// by ':'.
std::vector<std::string> keys_at_depth(const std::string& text, int wanted) {
  std::vector<std::string> keys;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{') ++depth;
    if (c == '}') --depth;
    if (c == '"') {
      const auto end = text.find('"', i + 1);
      if (text[end + 1] == ':' && depth == wanted) keys.push_back(text.substr(i + 1, end - i - 1));
      i = end;
    }
  }
  return keys;
}

std::vector<std::string> sorted_unique(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace

TEST_CASE("alert record serialises to the documented JSON and parses back to the same record") {
  auto record = AlertRecord::create(sample());
  REQUIRE(record);
  CHECK(record->to_json() == SAMPLE_JSON);
  auto parsed = AlertRecord::from_json(SAMPLE_JSON);
  REQUIRE(parsed);
  CHECK(*parsed == *record);
  CHECK(parsed->schema_version() == 1);
  // Shortest round-trip numbers: awkward doubles come back bit for bit.
  auto context = sample();
  context.score = 0.1 + 0.2;
  context.probability = 1.0 / 3.0;
  context.attribution = {{0, -1e-300, AttributionDirection::low}, {9, 123456789.123456789, AttributionDirection::high}};
  context.tenant = "quote \" backslash \\ newline \n tab \t é";
  context.cluster_id = 18446744073709551615ULL;
  auto awkward = AlertRecord::create(context);
  REQUIRE(awkward);
  auto back = AlertRecord::from_json(awkward->to_json());
  REQUIRE(back);
  CHECK(back->context() == context);
  // Whitespace between tokens is allowed.
  CHECK(AlertRecord::from_json(" " + replace(SAMPLE_JSON, ",\"tenant\":", " ,\n \"tenant\" : ") + "\n"));
}

TEST_CASE("alert record parser rejects unknown, missing, duplicate and mistyped keys, naming them") {
  auto check = [](const std::string& text, const std::string& field, ErrorCode code = ErrorCode::parse_error) {
    const auto error = parse_error(text);
    CAPTURE(text);
    CHECK(error.field == field);
    CHECK(error.code == code);
  };
  check(replace(SAMPLE_JSON, "\"tenant\":", "\"tenant_name\":"), "tenant_name");
  check(replace(SAMPLE_JSON, R"("tenant":"t0",)", ""), "tenant");
  check(replace(SAMPLE_JSON, R"("model_version":"forest-v3",)", ""), "model_version");
  check(replace(SAMPLE_JSON, R"("tenant":"t0",)", R"("tenant":"t0","tenant":"t1",)"), "tenant");
  check(replace(SAMPLE_JSON, R"("tenant":"t0")", R"("tenant":7)"), "tenant");
  check(replace(SAMPLE_JSON, R"("score":3.41)", R"("score":"3.41")"), "score");
  check(replace(SAMPLE_JSON, R"("score":3.41)", R"("score":NaN)"), "score");
  check(replace(SAMPLE_JSON, R"("score":3.41)", R"("score":03.41)"), "score");
  check(replace(SAMPLE_JSON, R"("score":3.41)", R"("score":null)"), "score");
  check(replace(SAMPLE_JSON, R"("cluster_id":42)", R"("cluster_id":42.5)"), "cluster_id");
  check(replace(SAMPLE_JSON, R"("cluster_id":42)", R"("cluster_id":-1)"), "cluster_id");
  check(replace(SAMPLE_JSON, R"("timestamp_ns":1700000812000000000)", R"("timestamp_ns":9223372036854775808)"),
        "timestamp_ns");
  check(replace(SAMPLE_JSON, R"("severity":"high")", R"("severity":"urgent")"), "severity");
  check(replace(SAMPLE_JSON, R"("schema_version":1)", R"("schema_version":2)"), "schema_version");
  check(replace(SAMPLE_JSON, R"("attribution":[)", R"("attribution":{)"), "attribution");
  check(replace(SAMPLE_JSON, R"("share":0.18)", R"("share":true)"), "attribution[1].share");
  check(replace(SAMPLE_JSON, R"("share":0.18,)", ""), "attribution[1].share");
  check(replace(SAMPLE_JSON, R"("direction":"low")", R"("direction":"sideways")"), "attribution[1].direction");
  check(replace(SAMPLE_JSON, R"("index":3,)", R"("index":3,"weight":1,)"), "attribution[0].weight");
  check(SAMPLE_JSON + "{}", "alert record");
  check("[]", "alert record");
  // Bounds are checked as for create(): the error names the key.
  check(replace(SAMPLE_JSON, R"("probability":0.875)", R"("probability":1.5)"), "probability",
        ErrorCode::invalid_input);
  check(replace(SAMPLE_JSON, R"("alert_id":"t0/host-1/17")", R"("alert_id":"")"), "alert_id",
        ErrorCode::invalid_input);
  check(replace(SAMPLE_JSON, R"("score":3.41)", R"("score":1e999)"), "score");
}

TEST_CASE("alert record create validates every field, naming it") {
  auto context = sample();
  context.score = NAN;
  CHECK(AlertRecord::create(context).error().field == "score");
  context = sample();
  context.probability = -0.1;
  CHECK(AlertRecord::create(context).error().field == "probability");
  context = sample();
  context.received_ns = -1;
  CHECK(AlertRecord::create(context).error().field == "received_ns");
  context = sample();
  context.stream = std::string(513, 's');
  CHECK(AlertRecord::create(context).error().field == "stream");
  context = sample();
  context.attribution[1].share = INFINITY;
  CHECK(AlertRecord::create(context).error().field == "attribution[1].share");
  context = sample();
  context.attribution.resize(4097);
  CHECK(AlertRecord::create(context).error().field == "attribution");
}

TEST_CASE("the serialiser writes exactly the keys of docs/alert-record.schema.json") {
  std::ifstream file(anomstream::test::source_dir() / "docs" / "alert-record.schema.json");
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  const JsonNode schema = SchemaScanner(text.str()).value();
  REQUIRE(schema.members.contains("properties"));
  std::vector<std::string> record_keys, entry_keys;
  for (const auto& [key, _] : schema.members.at("properties").members) record_keys.push_back(key);
  const auto& items = schema.members.at("properties").members.at("attribution").members.at("items");
  for (const auto& [key, _] : items.members.at("properties").members) entry_keys.push_back(key);
  const std::string json = AlertRecord::create(sample())->to_json();
  CHECK(sorted_unique(keys_at_depth(json, 1)) == sorted_unique(record_keys));
  CHECK(sorted_unique(keys_at_depth(json, 2)) == sorted_unique(entry_keys));
  CHECK(keys_at_depth(json, 1).size() == record_keys.size());
}
