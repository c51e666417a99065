#pragma once
// The alert's JSON form, one object per line (the JSON-lines sink and the audit payload).
// Integers are JSON numbers, not strings; see docs/operations.md for the fields.

#include <string>
#include <string_view>

#include "anomstream/triage/json_text.hpp"
#include "anomstream/v1/alert.pb.h"

namespace anomstream::daemon {

std::string alert_to_json(const v1::Alert& alert);
std::string_view severity_name(v1::Severity severity) noexcept;
using triage::append_json_string;

}  // namespace anomstream::daemon
