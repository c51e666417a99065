#pragma once
// JSON string escaping shared by the alert sink and the audit log: quotes, backslashes
// and control characters are escaped (RFC 8259), everything else (UTF-8 included) is
// copied as is, so any byte string becomes one valid JSON string on one line.

#include <string>
#include <string_view>

namespace anomstream::triage {

void append_json_string(std::string& out, std::string_view text);

}  // namespace anomstream::triage
