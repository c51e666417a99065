#pragma once
// One tenant's state as a file: magic, header, body (proto/anomstream/state/v1/state.proto).
// encode_state_file writes the header (format version, tenant, config fingerprint,
// input position, body length and SHA-256) before the body; decode_state_file trusts
// nothing: it checks the magic, the header's size and parse, the format version, the
// kind, the body's length and digest, the tenant and the fingerprint before it parses
// the body. Each restored library type then checks its own invariants.
// Memory: the file's bytes plus the parsed messages (about the size of the file).
// Errors: StateError, whose `problem` is the reason label under which a bad file is
// quarantined.

#include <array>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "anomstream/state/v1/state.pb.h"

namespace anomstream::daemon {

inline constexpr std::uint32_t STATE_FORMAT_VERSION = 1;
inline constexpr std::string_view STATE_MAGIC{"ASTATE\r\n", 8};
inline constexpr std::size_t MAX_STATE_HEADER_BYTES = 64 * 1024;

using Fingerprint = std::array<std::uint8_t, 32>;

// Why a state file was not restored (the `reason` label of the quarantine counter).
enum class StateProblem : std::uint8_t {
  truncated,        // shorter than its magic, header or the body length it announces
  bad_magic,        // not a state file
  bad_header,       // the header does not parse or names another kind
  foreign_version,  // another format version
  bad_digest,       // the body's SHA-256 differs from the header's
  bad_body,         // the body does not parse, or a detector's invariants fail
  config_mismatch,  // written under other model-defining configuration
  wrong_tenant,     // the header names another tenant than the file's place says
};
inline constexpr std::size_t STATE_PROBLEM_COUNT = 8;
std::string_view to_string(StateProblem problem) noexcept;

struct StateError {
  StateProblem problem = StateProblem::bad_body;
  std::string detail;
};

struct StateFile {
  state::v1::Header header;
  state::v1::TenantState body;
};

std::array<std::uint8_t, 32> sha256(std::string_view bytes);

// The bytes of a state file holding `body`.
std::string encode_state_file(const state::v1::TenantState& body, const Fingerprint& fingerprint,
                              std::int64_t written_unix_ns);

// Checks and parses a state file. `tenant` and `fingerprint`, when given, must match.
std::expected<StateFile, StateError> decode_state_file(std::string_view bytes,
                                                       const std::string* tenant = nullptr,
                                                       const Fingerprint* fingerprint = nullptr);

// The header and body as one JSON document, for inspection (anomstreamctl state dump);
// checks the envelope like decode_state_file, without a tenant or fingerprint.
std::expected<std::string, StateError> state_file_to_json(std::string_view bytes);

std::string to_hex(const Fingerprint& digest);

}  // namespace anomstream::daemon
