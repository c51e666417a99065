#include "persist/state_file.hpp"

#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>

#include <cstring>
#include <limits>

#include "version.hpp"

namespace anomstream::daemon {
namespace {

constexpr std::string_view KIND_TENANT = "tenant";

std::unexpected<StateError> problem(StateProblem p, std::string detail) {
  return std::unexpected(StateError{p, std::move(detail)});
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[static_cast<std::size_t>(i)])) << (8 * i);
  return v;
}

struct Envelope {
  state::v1::Header header;
  std::string_view body;
};

std::expected<Envelope, StateError> open_envelope(std::string_view bytes) {
  if (bytes.size() < STATE_MAGIC.size()) return problem(StateProblem::truncated, "shorter than the magic");
  if (bytes.substr(0, STATE_MAGIC.size()) != STATE_MAGIC) return problem(StateProblem::bad_magic, "not a state file");
  bytes.remove_prefix(STATE_MAGIC.size());
  if (bytes.size() < 4) return problem(StateProblem::truncated, "no header length");
  const std::uint32_t header_bytes = get_u32(bytes);
  bytes.remove_prefix(4);
  if (header_bytes > MAX_STATE_HEADER_BYTES) {
    return problem(StateProblem::bad_header, "header of " + std::to_string(header_bytes) + " bytes (at most " +
                                                 std::to_string(MAX_STATE_HEADER_BYTES) + ")");
  }
  if (bytes.size() < header_bytes) return problem(StateProblem::truncated, "header cut short");
  Envelope e;
  if (!e.header.ParseFromArray(bytes.data(), static_cast<int>(header_bytes))) {
    return problem(StateProblem::bad_header, "the header does not parse");
  }
  bytes.remove_prefix(header_bytes);
  if (e.header.format_version() != STATE_FORMAT_VERSION) {
    return problem(StateProblem::foreign_version, "format version " + std::to_string(e.header.format_version()) +
                                                      " (this daemon reads " +
                                                      std::to_string(STATE_FORMAT_VERSION) + ")");
  }
  if (e.header.kind() != KIND_TENANT) return problem(StateProblem::bad_header, "kind \"" + e.header.kind() + "\"");
  if (bytes.size() < e.header.body_bytes()) {
    return problem(StateProblem::truncated, "body of " + std::to_string(bytes.size()) + " bytes, header says " +
                                                std::to_string(e.header.body_bytes()));
  }
  if (bytes.size() > e.header.body_bytes()) {
    return problem(StateProblem::bad_header, "trailing bytes after the body");
  }
  const auto digest = sha256(bytes);
  if (e.header.body_sha256().size() != digest.size() ||
      std::memcmp(e.header.body_sha256().data(), digest.data(), digest.size()) != 0) {
    return problem(StateProblem::bad_digest, "the body's SHA-256 differs from the header's");
  }
  e.body = bytes;
  return e;
}

}  // namespace

std::string_view to_string(StateProblem p) noexcept {
  switch (p) {
    case StateProblem::truncated: return "truncated";
    case StateProblem::bad_magic: return "bad_magic";
    case StateProblem::bad_header: return "bad_header";
    case StateProblem::foreign_version: return "foreign_version";
    case StateProblem::bad_digest: return "bad_digest";
    case StateProblem::bad_body: return "bad_body";
    case StateProblem::config_mismatch: return "config_mismatch";
    case StateProblem::wrong_tenant: return "wrong_tenant";
  }
  return "unknown";
}

std::array<std::uint8_t, 32> sha256(std::string_view bytes) {
  std::array<std::uint8_t, 32> out{};
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &size, EVP_sha256(), nullptr);
  return out;
}

std::string to_hex(const Fingerprint& digest) {
  static constexpr char DIGITS[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const auto b : digest) {
    out.push_back(DIGITS[b >> 4]);
    out.push_back(DIGITS[b & 0xf]);
  }
  return out;
}

std::string encode_state_file(const state::v1::TenantState& body, const Fingerprint& fingerprint,
                              std::int64_t written_unix_ns) {
  const std::string body_bytes = body.SerializeAsString();
  const auto digest = sha256(body_bytes);
  state::v1::Header header;
  header.set_format_version(STATE_FORMAT_VERSION);
  header.set_kind(std::string(KIND_TENANT));
  header.set_tenant(body.tenant());
  header.set_config_fingerprint(fingerprint.data(), fingerprint.size());
  header.set_input_position(body.input_position());
  header.set_body_bytes(body_bytes.size());
  header.set_body_sha256(digest.data(), digest.size());
  header.set_written_unix_ns(written_unix_ns);
  header.set_writer_version(std::string(VERSION));
  const std::string header_bytes = header.SerializeAsString();
  std::string out;
  out.reserve(STATE_MAGIC.size() + 4 + header_bytes.size() + body_bytes.size());
  out.append(STATE_MAGIC);
  put_u32(out, static_cast<std::uint32_t>(header_bytes.size()));
  out.append(header_bytes);
  out.append(body_bytes);
  return out;
}

std::expected<StateFile, StateError> decode_state_file(std::string_view bytes, const std::string* tenant,
                                                       const Fingerprint* fingerprint) {
  auto envelope = open_envelope(bytes);
  if (!envelope) return std::unexpected(envelope.error());
  StateFile file;
  file.header = std::move(envelope->header);
  if (tenant != nullptr && file.header.tenant() != *tenant) {
    return problem(StateProblem::wrong_tenant, "holds tenant \"" + file.header.tenant() + "\"");
  }
  if (fingerprint != nullptr &&
      file.header.config_fingerprint() != std::string_view(reinterpret_cast<const char*>(fingerprint->data()),
                                                            fingerprint->size())) {
    return problem(StateProblem::config_mismatch,
                   "written under other model settings (pipeline detector, normalizer, forest or seed)");
  }
  if (envelope->body.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      !file.body.ParseFromArray(envelope->body.data(), static_cast<int>(envelope->body.size()))) {
    return problem(StateProblem::bad_body, "the body does not parse");
  }
  if (file.body.tenant() != file.header.tenant() || file.body.input_position() != file.header.input_position()) {
    return problem(StateProblem::bad_body, "the body's tenant or position differs from the header's");
  }
  return file;
}

std::expected<std::string, StateError> state_file_to_json(std::string_view bytes) {
  auto file = decode_state_file(bytes);
  if (!file) return std::unexpected(file.error());
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string header;
  std::string body;
  if (!google::protobuf::util::MessageToJsonString(file->header, &header, options).ok() ||
      !google::protobuf::util::MessageToJsonString(file->body, &body, options).ok()) {
    return problem(StateProblem::bad_body, "cannot be shown as JSON");
  }
  while (!header.empty() && header.back() == '\n') header.pop_back();
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return "{\n\"header\": " + header + ",\n\"body\": " + body + "\n}\n";
}

}  // namespace anomstream::daemon
