#include "anomstream/triage/audit_events.hpp"

#include <charconv>

#include "anomstream/triage/json_text.hpp"
#include "flat_json_reader.hpp"

namespace anomstream::triage {
namespace {

const std::string* member(const detail::FlatObject& object, std::string_view name) {
  for (const auto& [key, value] : object) {
    if (key == name) return &value;
  }
  return nullptr;
}

Result<std::string> string_member(const detail::FlatObject& object, std::string_view name) {
  const std::string* value = member(object, name);
  if (value == nullptr) return fail(ErrorCode::parse_error, std::string(name), "missing");
  return *value;
}

Result<std::uint64_t> count_member(const detail::FlatObject& object, std::string_view name) {
  const std::string* value = member(object, name);
  if (value == nullptr) return fail(ErrorCode::parse_error, std::string(name), "missing");
  std::uint64_t out = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), out);
  if (ec != std::errc() || ptr != value->data() + value->size()) {
    return fail(ErrorCode::parse_error, std::string(name), "must be a non-negative integer");
  }
  return out;
}

}  // namespace

std::string audit_recovered_payload(const AuditRecovery& recovery) {
  std::string out = "{\"event\":\"audit_recovered\",\"last_good_sequence\":" +
                    std::to_string(recovery.last_good_sequence) +
                    ",\"torn_bytes\":" + std::to_string(recovery.torn_bytes) + ",\"side_file\":";
  append_json_string(out, recovery.side_file);
  out += '}';
  return out;
}

Result<AuditRecovery> parse_audit_recovered_payload(std::string_view payload) {
  auto object = detail::parse_flat_object(payload);
  if (!object) return std::unexpected(object.error());
  AuditRecovery out;
  auto last_good = count_member(*object, "last_good_sequence");
  if (!last_good) return std::unexpected(last_good.error());
  auto torn = count_member(*object, "torn_bytes");
  if (!torn) return std::unexpected(torn.error());
  auto side_file = string_member(*object, "side_file");
  if (!side_file) return std::unexpected(side_file.error());
  out.last_good_sequence = *last_good;
  out.torn_bytes = *torn;
  out.side_file = std::move(*side_file);
  return out;
}

std::string key_rotated_payload(const AuditKeyRotation& rotation) {
  std::string out = "{\"event\":\"key_rotated\",\"previous_key_id\":";
  append_json_string(out, rotation.previous_key_id);
  out += ",\"new_key_id\":";
  append_json_string(out, rotation.new_key_id);
  out += '}';
  return out;
}

Result<AuditKeyRotation> parse_key_rotated_payload(std::string_view payload) {
  auto object = detail::parse_flat_object(payload);
  if (!object) return std::unexpected(object.error());
  auto previous = string_member(*object, "previous_key_id");
  if (!previous) return std::unexpected(previous.error());
  auto next = string_member(*object, "new_key_id");
  if (!next) return std::unexpected(next.error());
  return AuditKeyRotation{std::move(*previous), std::move(*next)};
}

}  // namespace anomstream::triage
