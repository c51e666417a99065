#pragma once
// A minimal JSON reader: the flat objects the audit log writes (string and integer
// values, keys in a known order or looked up by name) and, token by token, the alert
// record (numbers in the strict RFC 8259 grammar, arrays, nested objects). Anything
// else is a parse error naming the column. Private to anomstream::triage.
//
// Memory: O(size of the value being read). Errors: parse_error, field "column N".

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anomstream/core/error.hpp"

namespace anomstream::triage::detail {

class FlatJsonReader {
 public:
  explicit FlatJsonReader(std::string_view text) : text_(text) {}

  Status expect(char c);
  bool peek(char c);
  Result<std::string> string_value();
  Result<std::int64_t> integer_value();
  // A number in RFC 8259's grammar (no leading zeros, no "inf" or "nan", no "+"), as a
  // double; and one without fraction or exponent, as an integer in [0, 2^64).
  Result<double> number_value();
  Result<std::uint64_t> unsigned_value();
  bool at_end();

 private:
  void skip_space();
  std::unexpected<Error> error(const std::string& what) const;
  Result<std::uint32_t> hex4();
  // The text of the RFC 8259 number at the cursor; `integral` when it has neither a
  // fraction nor an exponent.
  Result<std::string_view> number_token(bool& integral);

  std::string_view text_;
  std::size_t pos_ = 0;
};

// A flat object's members in document order; integers are kept as their decimal text.
using FlatObject = std::vector<std::pair<std::string, std::string>>;
Result<FlatObject> parse_flat_object(std::string_view text);

}  // namespace anomstream::triage::detail
