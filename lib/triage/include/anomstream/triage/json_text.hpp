#pragma once
// JSON text shared by the alert sink, the audit log and the alert record. Strings: quotes, backslashes
// and control characters are escaped (RFC 8259), everything else (UTF-8 included) is
// copied as is, so any byte string becomes one valid JSON string on one line.

#include <string>
#include <string_view>

namespace anomstream::triage {

void append_json_string(std::string& out, std::string_view text);

// The shortest decimal text that reads back as the same double (std::to_chars), or
// null for NaN and infinities, which JSON cannot carry.
void append_json_number(std::string& out, double value);

}  // namespace anomstream::triage
