// Fuzz target: the bytes of one alert record line through AlertRecord::from_json. A
// record that parses must serialise to text that parses back to the same record (the
// parser and the serialiser agree on every value they accept).
// Seeds: tests/fuzz/corpus/alert_record (records written by AlertRecord::to_json, and
// near misses: a missing key, an unknown key, a wrong type, a malformed number).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "anomstream/triage/alert_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto record = anomstream::triage::AlertRecord::from_json(text);
  if (!record) return 0;
  auto again = anomstream::triage::AlertRecord::from_json(record->to_json());
  if (!again || !(*again == *record)) std::abort();
  return 0;
}
